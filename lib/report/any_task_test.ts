/**
 * A task unlike the demo (testdata/ticket_labels: an enum output, a
 * 2-dimension rubric and an injection check the task defines) through
 * experiment, compare, bundle and report, on the fake provider: the fake
 * answers it from the task's own files and the fake judge scores both
 * dimensions (issues 14 and 19).
 */
import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { experiment } from "../experiment/experiment.ts";
import { open } from "../store/open.ts";
import { latestScorecard } from "../store/scores.ts";
import { listJudgedCells } from "../store/labels.ts";
import { sha256Hex } from "../content/sha256.ts";
import { calibrate } from "../scoring/calibrate.ts";
import { addLabels } from "../scoring/labels.ts";
import type { Scorecard } from "../schema/scorecard.ts";
import { renderReport } from "./render_report.ts";

const ROOT = new URL("../../testdata/ticket_labels/", import.meta.url).pathname;
const TASK = "ticket_labels";

/** task.yaml's `fake.accuracy` and slice_mix: the answers' expected share right for the reference model. */
const ACCURACY = {
  typical: 0.85,
  edge: 0.7,
  known_failure: 0.4,
  adversarial: 0.85,
};
const MIX = { typical: 0.6, edge: 0.2, known_failure: 0.1, adversarial: 0.1 };
const PROFILE_ACCURACY = Object.entries(MIX).reduce(
  (sum, [slice, share]) => sum + share * ACCURACY[slice as keyof typeof MIX],
  0,
);

Deno.test("a 2-dimension task with a task-defined injection check runs through experiment, compare and report on the fake", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const { runs } = await experiment(store, {
    task: TASK,
    prompts: ["v1", "v2", "v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    repetitions: 3,
  });
  const card = async (version: string): Promise<Scorecard> => {
    const run = runs.find((r) => r.prompt_version_id === `${TASK}@${version}`)!;
    return (await latestScorecard(store, run.run_id))!.scorecard;
  };
  const [json, noJson, guarded] = [
    await card("v1"),
    await card("v2"),
    await card("v3"),
  ];
  assert.equal(json.cells, 90);

  // The aggregate tracks the profile's accuracy (0.775 for fake-fast).
  const aggregate = json.aggregate!.estimate;
  assert.ok(
    Math.abs(aggregate - PROFILE_ACCURACY) <= 0.05,
    `aggregate ${aggregate} vs profile accuracy ${PROFILE_ACCURACY}`,
  );
  // Asking for JSON beats not asking.
  assert.ok(
    aggregate > noJson.aggregate!.estimate + 0.2,
    `v1 ${aggregate} vs v2 ${noJson.aggregate!.estimate}`,
  );
  assert.ok(noJson.failures.invalid_output > 3 * json.failures.invalid_output);
  // Without a guardrail the adversarial slice leaks; with one it mostly does not.
  assert.equal(json.injection.n, 9);
  assert.ok(
    json.injection.success_rate! >= 0.4,
    JSON.stringify(json.injection),
  );
  assert.ok(
    guarded.injection.success_rate! <= json.injection.success_rate! / 2,
    `${guarded.injection.success_rate} vs ${json.injection.success_rate}`,
  );
  // The judge scores both dimensions of every valid cell.
  assert.deepEqual(Object.keys(json.dimensions).sort(), [
    "label_correctness",
    "safety",
  ]);
  const valid = json.cells - json.failures.invalid_output;
  for (const dimension of Object.values(json.dimensions)) {
    assert.equal(dimension.n, valid);
  }
  assert.ok(json.dimensions.label_correctness!.mean!.estimate < 4.9);

  // Calibration follows the task's two dimensions: a person who agrees with
  // the judge on label_correctness and rates every answer safe.
  const judged = (await listJudgedCells(store, {
    task: TASK,
    judges: ["fake-judge"],
    caseKeys: Array.from(
      { length: 30 },
      (_, i) => `tl-${String(i + 1).padStart(3, "0")}`,
    ),
  })).filter((c) => c.rubric !== null && c.output !== null).slice(0, 20);
  await addLabels(
    store,
    TASK,
    judged.map((c) => ({
      "case_id": c.case_key,
      repetition: c.repetition,
      "output_sha256": sha256Hex(c.output!),
      labeller: "tester",
      scores: {
        "label_correctness": c.rubric!.label_correctness!.score,
        safety: 5,
      },
    })),
  );
  const calibration = await calibrate(store, {
    task: TASK,
    judge: "fake-judge",
  });
  assert.deepEqual(Object.keys(calibration.dimensions).sort(), [
    "label_correctness",
    "safety",
  ]);
  assert.equal(calibration.matched, judged.length);
  assert.equal(calibration.dimensions.label_correctness!.n, judged.length);

  // Compare: the guarded prompt against the plain JSON one.
  const baseline = runs.find((r) => r.prompt_version_id === `${TASK}@v1`)!;
  const candidate = runs.find((r) => r.prompt_version_id === `${TASK}@v3`)!;
  const verdict = await compare(store, {
    baseline: baseline.run_id,
    candidate: candidate.run_id,
  });
  const dimensionRows = verdict.checks.filter((c) => c.kind === "dimension")
    .map((c) => c.name).sort();
  assert.deepEqual(dimensionRows, ["label_correctness", "safety"]);

  // Bundle and report: both dimensions, no invented ones.
  const { text } = await bundle(store, { comparison: verdict.id });
  const { html } = await renderReport(text!, { file: "ticket_labels.json" });
  assert.match(html, /label_correctness/);
  assert.match(html, /safety/);
  assert.doesNotMatch(html, /helpfulness|grounding/);
});
