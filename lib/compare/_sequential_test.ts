import assert from "node:assert/strict";
import { normalCdf } from "./_distributions.ts";
import {
  lookCritical,
  MAX_LOOKS,
  sequentialBoundaries,
  spentAlpha,
} from "./_sequential.ts";

const close = (actual: number, expected: number, tolerance: number) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${actual} is not within ${tolerance} of ${expected}`,
  );

Deno.test("spentAlpha() spends Pocock-type: alpha * ln(1 + (e - 1) t)", () => {
  close(spentAlpha(0.05, 5, 5), 0.05, 1e-15);
  // ln(1 + 1.71828 * 0.2) = ln(1.343656) = 0.295395
  close(spentAlpha(0.05, 1, 5), 0.05 * 0.295394529, 1e-10);
  assert.equal(spentAlpha(0.05, 7, 5), spentAlpha(0.05, 5, 5));
});

Deno.test("sequentialBoundaries() reproduces the published Lan-DeMets boundaries", () => {
  // Jennison and Turnbull (2000), Table 7.6 / gsDesign: five equally spaced
  // looks, one-sided 0.025 (two-sided 0.05).
  const t = [0.2, 0.4, 0.6, 0.8, 1];
  const pocock = sequentialBoundaries(
    t,
    t.map((x) => 0.025 * Math.log(1 + (Math.E - 1) * x)),
  );
  [2.438, 2.427, 2.410, 2.397, 2.386].forEach((c, k) =>
    close(pocock[k]!, c, 5e-4)
  );
  // O'Brien-Fleming-type spending: 2 - 2 Phi(z_{0.9875} / sqrt(t)).
  const obf = sequentialBoundaries(
    t,
    t.map((x) => 2 - 2 * normalCdf(2.241402727604947 / Math.sqrt(x))),
  );
  [4.877, 3.357, 2.680, 2.290, 2.031].forEach((c, k) =>
    close(obf[k]!, c, 5e-4)
  );
});

Deno.test("sequentialBoundaries() with unequal looks and a look without new information", () => {
  // One look: the normal quantile of the spent alpha.
  close(sequentialBoundaries([1], [0.05])[0]!, 1.6448536, 1e-6);
  // Two looks, the second with 4 times the information: the pair must
  // spend exactly 0.05 in all. P(Z1 >= c1 or Z2 >= c2) for correlation
  // sqrt(1/4) = 0.5 was checked against scipy's multivariate normal:
  // c = [2.17621, 1.75671] for spending [0.01477, 0.05].
  const [c1, c2] = sequentialBoundaries([1, 4], [0.0147697, 0.05]);
  close(c1!, 2.17621, 1e-4);
  close(c2!, 1.75671, 5e-4);
  // A look that adds no information can only spend alpha by lowering the
  // bar on the same statistic.
  const [d1, d2] = sequentialBoundaries([1, 1], [0.025, 0.05]);
  close(d1!, 1.959964, 1e-5);
  close(d2!, 1.6448536, 5e-4);
});

Deno.test("lookCritical() spends all of alpha on a verdict that is not settled", () => {
  close(lookCritical([1], 0.05, false), 1.6448536, 1e-6);
  // Settled: the first look spends only the Pocock-type share.
  close(lookCritical([1], 0.05, true), 2.17621, 1e-3);
  assert.equal(MAX_LOOKS, 5);
});
