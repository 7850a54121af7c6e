import assert from "node:assert/strict";
import { nestedSample } from "../scoring/bootstrap.ts";
import { deltaNoise } from "./_measure.ts";

Deno.test("deltaNoise() splits the per-case delta's variance into case and repetition parts", () => {
  // Case means: baseline 0.5, 1, 0; candidate 1, 0.5, 1; deltas 0.5, -0.5, 1.
  const baseline = nestedSample([[[0, 1], [1, 1], [0, 0]]]);
  const candidate = nestedSample([[[1, 1], [0, 1], [1, 1]]]);
  const noise = deltaNoise(baseline, candidate, 0)!;
  // Deltas' mean 1/3; squared deviations 1/36 + 25/36 + 16/36 = 7/6; / 2.
  assert.ok(Math.abs(noise.observed - 7 / 12) < 1e-12);
  // Pooled within-case variance per run: 0.5 / 3 = 1/6 each; per-repetition
  // variance of the paired delta 1/6 + 1/6 = 1/3.
  assert.ok(Math.abs(noise.within - 1 / 3) < 1e-12);
  // Repetition part at 2 repetitions: 1/6 / 2 + 1/6 / 2 = 1/6; 7/12 - 2/12.
  assert.ok(Math.abs(noise.between - 5 / 12) < 1e-12);
});

Deno.test("deltaNoise() skips missing values and needs two cases and repeated measures", () => {
  const baseline = nestedSample([[[0, 1, NaN], [1, 1], [NaN]]]);
  const candidate = nestedSample([[[1, 1], [0, 1], [1, 1]]]);
  // The third case has no baseline value: two cases, deltas 0.5 and -0.5.
  const noise = deltaNoise(baseline, candidate, 0)!;
  assert.ok(Math.abs(noise.observed - 0.5) < 1e-12);
  // Pooled: baseline 0.5 / 2, candidate 0.5 / 2; part 0.25 / 2 + 0.25 / 2.
  assert.ok(Math.abs(noise.within - 0.5) < 1e-12);
  // The spread (0.5) is only twice the repetition part (0.25): not clearly
  // more than repetition noise, so no between-case part is counted.
  assert.equal(noise.between, 0);
  // Case deltas +0.9 and -0.9 with tiny repetition noise: observed 1.62,
  // repetition part (0.005 / 2 + 0.005 / 2) = 0.005, between 1.615.
  const wide = deltaNoise(
    nestedSample([[[0, 0.1], [1, 0.9]]]),
    nestedSample([[[1, 0.9], [0, 0.1]]]),
    0,
  )!;
  assert.ok(Math.abs(wide.observed - 1.62) < 1e-12);
  assert.ok(Math.abs(wide.between - 1.615) < 1e-12);
  const missing = nestedSample([[[NaN, NaN], [NaN], [1, 0]]]);
  assert.equal(deltaNoise(missing, candidate, 0), null);
  const single = nestedSample([[[0], [1], [1]]]);
  assert.equal(deltaNoise(single, candidate, 0), null);
  const oneCase = nestedSample([[[0, 1]]]);
  assert.equal(deltaNoise(oneCase, nestedSample([[[1, 1]]]), 0), null);
});
