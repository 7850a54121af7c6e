import assert from "node:assert/strict";
import { mulberry32, quantileSorted } from "./bootstrap.ts";
import { quantileIntervals } from "./quantile_intervals.ts";
import { wilsonInterval } from "./wilson_interval.ts";
import { pairedCheckDeltas } from "./paired_check_deltas.ts";

Deno.test("wilsonInterval() matches the textbook values and stays inside 0..1", () => {
  // 8 of 10: Wilson 95% is [0.4902, 0.9433] (Newcombe 1998, method 3).
  const i = wilsonInterval(0.8, 10)!;
  assert.ok(Math.abs(i.low - 0.4902) < 1e-4, String(i.low));
  assert.ok(Math.abs(i.high - 0.9433) < 1e-4, String(i.high));
  assert.deepEqual(wilsonInterval(1, 3)?.high, 1);
  assert.ok(wilsonInterval(1, 3)!.low < 0.5);
  assert.ok(wilsonInterval(0, 100)!.high > 0.03);
  assert.equal(wilsonInterval(0.2, 0), null);
  assert.throws(() => wilsonInterval(1.2, 3), RangeError);
});

Deno.test("quantileIntervals() holds the sample quantile and widens with fewer cases", () => {
  const rng = (() => {
    let s = 3;
    return () => (s = (s * 16807) % 2147483647) / 2147483647;
  })();
  const many = Array.from({ length: 200 }, () => [100 + rng() * 100]);
  const few = many.slice(0, 10);
  const sorted = (g: number[][]) => Float64Array.from(g.flat()).sort();
  const [p50many, p95many] = quantileIntervals(many, [0.5, 0.95]);
  const [p50few] = quantileIntervals(few, [0.5]);
  const median = quantileSorted(sorted(many), 0.5);
  assert.ok(p50many!.low <= median && median <= p50many!.high);
  assert.ok(p95many!.low > p50many!.high, "p95 sits above p50");
  assert.ok(
    p50few!.high - p50few!.low > p50many!.high - p50many!.low,
    "fewer cases, wider interval",
  );
  // A constant sample has a zero-width interval at its value.
  assert.deepEqual(quantileIntervals([[5, 5], [5]], [0.95]), [{
    low: 5,
    high: 5,
  }]);
  assert.deepEqual(quantileIntervals([[], []], [0.5]), [null]);
});

Deno.test("quantileIntervals() gives what sorting each resample whole gives", () => {
  // Cases of 0-3 values with ties; every resample built whole with the
  // same draws, sorted and read with quantileSorted, then the same
  // percentile of the resamples' quantiles.
  const rng = mulberry32(11);
  for (let t = 0; t < 40; t++) {
    const groups = Array.from(
      { length: 1 + Math.floor(rng() * 25) },
      () =>
        Array.from(
          { length: Math.floor(rng() * 4) },
          () => rng() < 0.3 ? Math.floor(rng() * 4) : rng() * 100,
        ),
    );
    const qs = [0, 0.05, 0.5, 0.73, 0.95, 1];
    const resamples = 60;
    const got = quantileIntervals(groups, qs, { resamples, seed: t });
    const cases = groups.filter((g) => g.length > 0);
    if (cases.length === 0) {
      assert.deepEqual(got, qs.map(() => null));
      continue;
    }
    const random = mulberry32(t);
    const each = qs.map(() => new Float64Array(resamples));
    for (let b = 0; b < resamples; b++) {
      const values = cases.map(() =>
        cases[Math.floor(random() * cases.length)]!
      ).flat();
      const sorted = Float64Array.from(values).sort();
      qs.forEach((q, i) => (each[i]![b] = quantileSorted(sorted, q)));
    }
    // Equal up to rounding (interpolations done in another order).
    const near = (a: number, b: number) =>
      Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
    qs.forEach((q, i) => {
      const d = each[i]!.sort();
      const [low, high] = [quantileSorted(d, 0.025), quantileSorted(d, 0.975)];
      assert.ok(near(got[i]!.low, low), `${t} ${q}: ${got[i]!.low} ${low}`);
      assert.ok(near(got[i]!.high, high), `${t} ${q}: ${got[i]!.high} ${high}`);
    });
  }
});

Deno.test("quantileIntervals() reads each resample's quantiles as quantileSorted does", () => {
  // Every resample draws each case once: it is the sample itself, so both
  // bounds are the sample's quantiles, interpolation included.
  const groups = [[5, 1], [9], [3, 3, 7], [2], [8, 6]];
  let k = 0;
  const random = () => ((k++ % groups.length) + 0.5) / groups.length;
  const sorted = Float64Array.from(groups.flat()).sort();
  const qs = [0.1, 0.5, 0.55, 0.95, 1];
  const got = quantileIntervals(groups, qs, { resamples: 7, random });
  qs.forEach((q, i) => {
    const want = quantileSorted(sorted, q);
    assert.ok(
      Math.abs(got[i]!.low - want) < 1e-12,
      `${q}: ${got[i]!.low} ${want}`,
    );
    assert.ok(Math.abs(got[i]!.high - want) < 1e-12, `${q}`);
  });
});

Deno.test("pairedCheckDeltas() pairs cases across runs and gives no interval under 5 shared cases", () => {
  const cell = (run: string, key: string, rep: number, pass: boolean) => ({
    id: `${run}${key}${rep}`,
    run_id: run,
    case_key: key,
    repetition: rep,
    slice: "typical" as const,
    generation_io_id: null,
    judge_io_ids: [],
    output: "{}",
    status: "ok" as const,
    checks: { valid: { pass, score: pass ? 1 : 0, detail: "" } },
    rubric: null,
    judge_error: null,
    created_at: "",
    scored_at: "",
  });
  // Hard cases fail in both runs; the candidate fixes exactly one
  // repetition of every case: a delta of +0.5 on each case.
  const keys = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const base = keys.flatMap((
    k,
  ) => [cell("b", k, 0, false), cell("b", k, 1, false)]);
  const cand = keys.flatMap((
    k,
  ) => [cell("c", k, 0, true), cell("c", k, 1, false)]);
  const [valid] = pairedCheckDeltas(base, cand);
  assert.deepEqual(valid, {
    check: "valid",
    baseline: 0,
    candidate: 0.5,
    delta: 0.5,
    // Every case moved alike: no zero-width interval is claimed.
    low: null,
    high: null,
    cases: 8,
  });
  // One case moved differently: now there is spread to resample.
  const mixed = pairedCheckDeltas(base, [
    ...cand.slice(0, -2),
    cell("c", "h", 0, false),
    cell("c", "h", 1, false),
  ])[0]!;
  assert.ok(mixed.low! < mixed.delta && mixed.delta < mixed.high!);
  const few = pairedCheckDeltas(base.slice(0, 8), cand.slice(0, 8))[0]!;
  assert.equal(few.cases, 4);
  assert.equal(few.low, null);
  assert.equal(few.high, null);
  // A case only one run has does not count.
  assert.equal(
    pairedCheckDeltas(base, [...cand, cell("c", "z", 0, true)])[0]!.cases,
    8,
  );
});
