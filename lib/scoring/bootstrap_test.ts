import assert from "node:assert/strict";
import {
  bootstrapIntervals,
  bootstrapNested,
  mulberry32,
  nestedMean,
  nestedSample,
  percentileInterval,
  quantileSorted,
} from "./bootstrap.ts";

function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error("script ran out");
    return v;
  };
}

Deno.test("bootstrapNested() matches a case computed by hand", () => {
  // Case A has repetitions [0, 1] (mean 0.5); case B has [2]. Cases are
  // drawn with their repetitions: only the case draws use random numbers.
  const sample = nestedSample([[[0, 1], [2]]]);
  const random = scripted([
    // resample 1: floor(0.1*2)=0 (A), floor(0.4*2)=0 (A): (0.5 + 0.5) / 2
    0.1,
    0.4,
    // resample 2: floor(0.6*2)=1 (B), floor(0.2*2)=0 (A): (2 + 0.5) / 2
    0.6,
    0.2,
  ]);
  const [[distribution]] = bootstrapNested([sample], {
    resamples: 2,
    random,
  }) as [[Float64Array]];
  assert.deepEqual([...distribution], [0.5, 1.25]);
  assert.equal(nestedMean(sample), 1.25);
  // quantiles 0.25 and 0.75 of [0.5, 1.25], linearly interpolated
  assert.deepEqual(percentileInterval(distribution, 0.5), {
    low: 0.6875,
    high: 1.0625,
  });
});

Deno.test("bootstrapNested() reproduces the exact distribution of a two-case mean", () => {
  // Cases [0] and [1]: resample means are 0, 0.5, 1 with probability 1/4, 1/2, 1/4.
  const sample = nestedSample([[[0], [1]]]);
  const [[d]] = bootstrapNested([sample], { resamples: 20000, seed: 11 }) as [
    [Float64Array],
  ];
  const share = (x: number) => d.filter((v) => v === x).length / d.length;
  assert.ok(Math.abs(share(0) - 0.25) < 0.015);
  assert.ok(Math.abs(share(0.5) - 0.5) < 0.015);
  assert.ok(Math.abs(share(1) - 0.25) < 0.015);
  assert.deepEqual(percentileInterval(d), { low: 0, high: 1 });
});

Deno.test("bootstrapNested() is deterministic for a seed", () => {
  const random = mulberry32(99);
  const sample = nestedSample([
    Array.from({ length: 12 }, () => [random(), random(), random()]),
  ]);
  const a = bootstrapIntervals(sample, { seed: 5 });
  const b = bootstrapIntervals(sample, { seed: 5 });
  const c = bootstrapIntervals(sample, { seed: 6 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a[0]!.estimate, c[0]!.estimate);
});

Deno.test("bootstrapNested() pairs samples: shared case draws give an exact paired difference", () => {
  const base = [0.2, 0.5, 0.9, 0.4, 0.7];
  const baseline = nestedSample([base.map((v) => [v])]);
  const candidate = nestedSample([base.map((v) => [v + 0.25])]);
  const [[b], [c]] = bootstrapNested([baseline, candidate], {
    seed: 3,
    resamples: 200,
  }) as [[Float64Array], [Float64Array]];
  for (let i = 0; i < b.length; i++) {
    assert.ok(Math.abs(c[i]! - b[i]! - 0.25) < 1e-12);
  }
});

Deno.test("bootstrapNested() skips missing values and refuses mismatched samples", () => {
  const sample = nestedSample([[[NaN, NaN], [1, NaN]]]);
  assert.equal(nestedMean(sample), 1);
  const [[d]] = bootstrapNested([sample], { resamples: 50 }) as [
    [Float64Array],
  ];
  // A resample that draws only the empty case has no value.
  assert.ok(d.every((v) => Number.isNaN(v) || v === 1));
  assert.throws(
    () => bootstrapNested([sample, nestedSample([[[1]]])]),
    RangeError,
  );
  assert.throws(() => bootstrapNested([sample], { resamples: 0 }), RangeError);
  assert.throws(() => nestedSample([[[1]], [[1], [2]]]), RangeError);
});

Deno.test("bootstrap intervals contain the estimate and narrow as repetitions grow (property)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = mulberry32(seed * 7919);
    const means = Array.from({ length: 25 }, () => 0.45 + 0.1 * random());
    const widths: number[] = [];
    for (const reps of [2, 8, 32]) {
      const cases = means.map((mu) =>
        Array.from({ length: reps }, () => mu + (random() - 0.5))
      );
      const [interval] = bootstrapIntervals(nestedSample([cases]), {
        seed,
        resamples: 400,
      });
      assert.ok(
        interval!.low <= interval!.estimate &&
          interval!.estimate <= interval!.high,
        `seed ${seed}, ${reps} repetitions: ${JSON.stringify(interval)}`,
      );
      widths.push(interval!.high - interval!.low);
    }
    assert.ok(
      widths[0]! > widths[1]! && widths[1]! > widths[2]!,
      `seed ${seed}: widths ${widths.join(", ")}`,
    );
  }
});

Deno.test("quantileSorted() interpolates linearly", () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([10], 0.95), 10);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});
