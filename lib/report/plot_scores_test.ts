import assert from "node:assert/strict";
import { entry, scorecard } from "./_fixtures.ts";
import { countMarks, holdsRawPayload, PAYLOADS, texts } from "./_test_util.ts";
import { plotDimensions } from "./plot_dimensions.ts";
import { plotLeaderboard } from "./plot_leaderboard.ts";
import { plotSlices } from "./plot_slices.ts";

Deno.test("plotSlices() draws a dot and a whisker per slice with cases", () => {
  const card = scorecard({
    slices: { typical: 0.9, edge: 0.7, adversarial: 0.6 },
  });
  const svg = plotSlices(card).svg;
  assert.equal(countMarks(svg, "dot", "circle"), 3);
  assert.equal(countMarks(svg, "rule", "line"), 3);
  // Each slice is named with its case count.
  assert.deepEqual(texts(svg, 'g[aria-label="y-axis tick label"] text'), [
    "typical (4 cases)",
    "edge (4 cases)",
    "adversarial (4 cases)",
  ]);
  // The axis fits the data instead of starting at 0.
  const ticks = texts(svg, 'g[aria-label="x-axis tick label"] text').map(
    Number,
  );
  assert.ok(ticks[0]! > 0, `the axis starts at ${ticks[0]}`);
});

Deno.test("plotSlices() draws baseline and candidate, the limits and the breaches", () => {
  const baseline = scorecard({ id: "b", prompt: "t@v1" });
  const candidate = scorecard({
    id: "c",
    prompt: "t@v2",
    slices: {
      typical: 0.92,
      edge: 0.74,
      known_failure: 0.52,
      adversarial: 0.4,
    },
  });
  const figure = plotSlices(candidate, {
    baseline,
    limits: {
      typical: 0.85,
      edge: 0.7,
      known_failure: 0.45,
      adversarial: 0.75,
    },
    breaches: ["adversarial"],
  });
  assert.equal(countMarks(figure.svg, "dot", "circle"), 8);
  assert.equal(countMarks(figure.svg, "rule", "line"), 8);
  assert.equal(countMarks(figure.svg, "tick", "line"), 4);
  assert.deepEqual(texts(figure.svg, 'g[aria-label="text"] text'), [
    "✕ breach",
  ]);
  assert.match(figure.svg, /fill="#b91c1c"/); // the breaching candidate dot
  assert.match(figure.title, /breaches: adversarial/);
});

Deno.test("plotDimensions() draws each dimension's mean with the table's 95% interval as its whisker", () => {
  const figure = plotDimensions(scorecard({}), {
    baseline: scorecard({ id: "b" }),
  });
  assert.equal(countMarks(figure.svg, "dot", "circle"), 8);
  assert.equal(countMarks(figure.svg, "rule", "line"), 8);
  const one = plotDimensions(
    scorecard({ dimensions: { accuracy: [4, 0.5], clarity: [3, 0] } }),
  );
  assert.equal(countMarks(one.svg, "dot", "circle"), 2);
  const card = scorecard({
    dimensions: { accuracy: [4, 0.5], clarity: [3, 0] },
  });
  const { low, high } = card.dimensions.accuracy!.mean!;
  assert.match(
    one.svg,
    new RegExp(
      `accuracy · run .*: mean 4\\.00 \\[${low.toFixed(2)}, ${
        high.toFixed(2)
      }\\] \\(95% CI over cases\\), σ 0\\.50`,
    ),
  );
});

Deno.test("plotLeaderboard() draws every scored run and makes ties visible", () => {
  const figure = plotLeaderboard([
    entry(1, 1, 0.8, "0.010000"),
    entry(2, 1, 0.78, "0.020000"),
    entry(3, 2, 0.5, "0.001000"),
    { ...entry(4, 3, 0, "0"), aggregate: null },
  ]);
  assert.equal(countMarks(figure.svg, "dot", "circle"), 3);
  assert.equal(countMarks(figure.svg, "rule", "line"), 3);
  const labels = texts(figure.svg, 'g[aria-label="text"] text');
  assert.deepEqual(labels, [
    "=1 v1 · fake-fast",
    "=1 v2 · fake-fast",
    "#3 v3 · fake-fast",
  ]);
  assert.equal((figure.svg.match(/fill="white"/g) ?? []).length, 2); // tied: hollow
});

Deno.test("plots escape untrusted slice, dimension and version names", () => {
  const [script, img, js] = PAYLOADS;
  const card = scorecard({
    prompt: script,
    model: img,
    slices: { typical: 0.5 },
    dimensions: { [script]: [3, 1], [img]: [4, 0], [js]: [2, 0] },
  });
  // A slice name from outside the schema reaches the chart as a label.
  const odd = {
    ...card,
    slices: { ...card.slices, [script]: card.slices.typical },
  };
  const figures = [
    plotSlices(odd as typeof card, { baseline: card, breaches: [script] }),
    plotDimensions(card),
    plotLeaderboard([
      entry(1, 1, 0.5, "1.000000", script),
      entry(2, 2, 0.2, "2.000000", img),
    ]),
  ];
  for (const figure of figures) {
    assert.equal(holdsRawPayload(figure.svg), false, figure.svg);
    assert.match(figure.svg, /&lt;(script|img)/);
  }
});
