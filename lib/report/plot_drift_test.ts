import assert from "node:assert/strict";
import type { Scorecard } from "../schema/scorecard.ts";
import { COLOURS } from "./_charts.ts";
import { plotDrift } from "./plot_drift.ts";

function card(
  slices: Record<string, number>,
  dims: Record<string, number> = {},
): Scorecard {
  const entry = (x: number, cases: number) => ({
    score: cases >= 5 ? { estimate: x, low: x - 0.04, high: x + 0.04 } : null,
    estimate: x,
    cases,
    cells: cases,
  });
  return {
    run: { id: "r", prompt_version_id: "t@production", model_config_id: "p" },
    slices: Object.fromEntries(
      Object.entries(slices).map((
        [s, x],
      ) => [s, entry(x, s === "edge" ? 3 : 20)]),
    ),
    dimensions: Object.fromEntries(
      Object.entries(dims).map(([d, x]) => [d, {
        mean: { estimate: x, low: x - 0.1, high: x + 0.1 },
        sigma: null,
        n: 20,
      }]),
    ),
  } as unknown as Scorecard;
}

Deno.test("plotDrift() draws each window's slice score with its interval, the limit line, and marks a drop past it", () => {
  const base = card({ typical: 0.9, adversarial: 0.8, edge: 0.7 });
  const figure = plotDrift([
    { window: "2026-11-02", scorecard: base },
    {
      window: "2026-11-03",
      scorecard: card({ typical: 0.9, adversarial: 0.6, edge: 0.7 }),
    },
  ], { baseline: base });
  assert.equal(figure.svg.match(/<circle/g)?.length, 6);
  // One dot under its limit (adversarial 0.6 < 0.8 - 0.1).
  assert.equal(figure.svg.split(`fill="${COLOURS.breach}"`).length - 1, 1);
  assert.match(
    figure.svg,
    /adversarial · 2026-11-03: 0\.600 \[0\.560, 0\.640\] over 20 inputs/,
  );
  assert.match(
    figure.svg,
    /edge · 2026-11-02: 0\.700 \(no interval: fewer than 5 inputs\)/,
  );
  assert.match(figure.svg, /stroke-dasharray="4,3"/);
  assert.match(figure.title, /dashed: baseline -0\.1 limit/);
});

Deno.test("plotDrift() plots rubric dimensions on the 1 to 5 scale", () => {
  const figure = plotDrift([
    { window: "2026-W44", scorecard: card({ typical: 0.9 }, { safety: 4.8 }) },
    { window: "2026-W45", scorecard: card({ typical: 0.9 }, { safety: 4.2 }) },
  ], { measure: "dimensions", baseline: card({}, { safety: 4.8 }) });
  assert.equal(figure.svg.match(/<circle/g)?.length, 2);
  assert.match(figure.svg, /safety · 2026-W45: 4\.200/);
  assert.equal(figure.svg.split(`fill="${COLOURS.breach}"`).length - 1, 1);
});
