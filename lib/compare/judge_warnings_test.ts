import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { sha256Hex } from "../content/sha256.ts";
import { main } from "../cli/main.ts";
import { addLabels } from "../scoring/labels.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { open, type Store } from "../store/open.ts";
import { storeWithRuns, testCells } from "../store/test_fixtures.ts";
import { compare } from "./compare.ts";
import { comparisonMarkdown } from "./comparison_markdown.ts";

/** The candidate's accuracy falls to 1-2 and clarity to 2-3, each cell with its own output. */
const candidate = testCells(3, ({ i, slice, rep }) => ({
  output: JSON.stringify({ cell: `${slice}-${i}-${rep}` }),
  rubric: {
    accuracy: 1 + ((i + rep) % 2),
    completeness: 4,
    grounding: 4,
    clarity: 2 + (i % 2),
  },
}));

/**
 * Labels on the candidate's typical and edge cells: the person reverses
 * the judge on accuracy (rho -1) and agrees on clarity (rho 1).
 */
async function label(store: Store): Promise<number> {
  const lines = candidate
    .filter((c) => c.slice === "typical" || c.slice === "edge")
    .map((c) => ({
      "case_id": c.case_key,
      repetition: c.repetition,
      "output_sha256": sha256Hex(c.output!),
      labeller: "sam",
      scores: {
        accuracy: 3 - (c.rubric!.accuracy! - 1) * 2,
        clarity: c.rubric!.clarity!,
      },
    }));
  await addLabels(store, "t", lines);
  return lines.length;
}

eachStore.test("scoreRun() carries the judge's calibration figures when labels match its outputs", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(store, testCells(), candidate);
  const n = await label(store);
  const { scorecard } = await scoreRun(store, "cand");
  const calibration = scorecard.judge.calibration;
  assert.ok(calibration);
  assert.equal(calibration.judge, "fake-judge");
  assert.equal(calibration.labels, n);
  assert.equal(calibration.matched, n);
  assert.deepEqual(calibration.dimensions.accuracy, {
    n,
    rho: -1,
    "tau_b": -1,
    kappa: calibration.dimensions.accuracy!.kappa,
    bias: calibration.dimensions.accuracy!.bias,
  });
  assert.ok(calibration.dimensions.accuracy!.kappa! < 0);
  assert.equal(calibration.dimensions.clarity?.rho, 1);
  assert.equal(calibration.dimensions.clarity?.kappa, 1);
  assert.equal(calibration.dimensions.clarity?.bias, 0);
  assert.equal(calibration.dimensions.grounding?.n, 0);
  assert.equal(calibration.dimensions.grounding?.rho, null);
});

eachStore.test("compare() warns when it rejects on a dimension the judge agrees weakly on", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(store, testCells(), candidate);
  const n = await label(store);
  const result = await compare(store, { baseline: "base", candidate: "cand" });
  assert.equal(result.verdict, "REJECTED");
  assert.ok(result.reasons.some((r) => r.startsWith("dimension 'clarity'")));
  assert.equal(result.judge?.config_id, "fake-judge");
  assert.equal(result.judge?.calibration?.dimensions.accuracy?.rho, -1);
  // Clarity is rejected too, but the judge agrees with people there.
  assert.deepEqual(result.judge_warnings, [
    `dimension 'accuracy' rests on weak judge agreement (rho -1.00 on ${n} labels)`,
  ]);
  const markdown = comparisonMarkdown(result);
  assert.match(markdown, /### Judge warnings/);
  assert.match(markdown, /dimension 'accuracy' rests on weak judge agreement/);
  assert.match(
    markdown,
    /Judge fake-judge, calibrated on 36 of 36 human labels/,
  );
});

eachStore.test("without labels the scorecard and the verdict carry no calibration and no warning", async ({ openStore }) => {
  await using store = await openStore();
  await storeWithRuns(store, testCells(), candidate);
  const { scorecard } = await scoreRun(store, "cand");
  assert.equal("calibration" in scorecard.judge, false);
  const result = await compare(store, { baseline: "base", candidate: "cand" });
  assert.equal(result.verdict, "REJECTED");
  assert.deepEqual(result.judge, { config_id: "fake-judge" });
  assert.equal("judge_warnings" in result, false);
  assert.doesNotMatch(comparisonMarkdown(result), /Judge warnings/);
});

Deno.test("wb show and wb compare print the judge's calibration and the warnings", async () => {
  const dir = await Deno.makeTempDir();
  const db = `file:${dir}/wb.db`;
  try {
    {
      await using store = await open(db);
      await storeWithRuns(store, testCells(), candidate);
      await label(store);
    }
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    assert.equal(await main(["show", "cand", "--db", db], io), 0);
    const shown = out.join("\n");
    assert.match(shown, /judge calibration fake-judge against 36 of 36/);
    assert.match(
      shown,
      /^ {2}accuracy +-1\.00 +-1\.00 .* 36 {2}weak agreement$/m,
    );
    assert.match(shown, /^ {2}clarity +1\.00 +1\.00 +1\.00 +\+0\.00 +36$/m);
    out.length = 0;
    const args = ["compare", "--baseline", "base", "--candidate", "cand"];
    assert.equal(await main([...args, "--db", db], io), 1);
    const compared = out.join("\n");
    assert.match(compared, /judge fake-judge: calibrated on 36 of 36/);
    assert.match(
      compared,
      /warning: dimension 'accuracy' rests on weak judge agreement \(rho -1\.00 on 36 labels\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
