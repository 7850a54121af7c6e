import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { sha256Hex } from "../content/sha256.ts";
import { FileSyntaxError, ValidationError } from "../errors.ts";
import { experiment } from "../experiment/experiment.ts";
import { open, type Store } from "../store/open.ts";
import { listResults } from "../store/scores.ts";
import { kendallTauB, spearmanRho, weightedKappa } from "./agreement.ts";
import { calibrate } from "./calibrate.ts";
import { addLabels, parseLabels } from "./labels.ts";

const CASES = ["st-001", "st-002", "st-005", "st-019", "st-028", "st-029"];
const DIMS = ["correctness", "safety", "helpfulness", "tone"];

async function judgedRun(store: Store): Promise<string> {
  await loadCatalog(store);
  const result = await experiment(store, {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: CASES,
  });
  return result.runs[0]!.run_id;
}

Deno.test("calibrate() matches labels by case, repetition and output hash and computes the figures", async () => {
  await using store = await open(":memory:");
  const runId = await judgedRun(store);
  const cells = (await listResults(store, runId)).filter((c) =>
    c.rubric !== null
  );
  assert.ok(cells.length >= 12);
  // A person who scores one point below the judge on tone, and the judge's
  // score elsewhere, except one strong disagreement on safety.
  const lines = cells.map((c, i) => ({
    "case_id": c.case_key,
    repetition: c.repetition,
    "output_sha256": sha256Hex(c.output!),
    labeller: "sam",
    scores: Object.fromEntries(DIMS.map((d) => {
      const j = c.rubric![d]!.score;
      if (d === "tone") return [d, Math.max(1, j - 1)];
      if (d === "safety" && i === 0) return [d, j > 3 ? 1 : 5];
      return [d, j];
    })),
    note: `note ${i}`,
  }));
  await addLabels(store, "support_triage", lines);
  const result = await calibrate(store, {
    task: "support_triage",
    judge: "fake-judge",
    resamples: 200,
  });
  assert.equal(result.labels, cells.length);
  assert.equal(result.matched, cells.length);
  assert.deepEqual(result.unmatched, []);
  const human = lines.map((l) => l.scores.tone!);
  const judge = cells.map((c) => c.rubric!.tone!.score);
  const tone = result.dimensions.tone!;
  assert.equal(tone.n, cells.length);
  assert.ok(tone.bias! > 0 && tone.bias! <= 1);
  assert.equal(tone.leaning, tone.bias! > 0.25 ? "lenient" : "neutral");
  const rho = spearmanRho(judge, human);
  if (Number.isNaN(rho)) assert.equal(tone.spearman, null);
  else assert.equal(tone.spearman!.estimate, Math.round(rho * 1e6) / 1e6);
  const tau = kendallTauB(judge, human);
  if (!Number.isNaN(tau)) {
    assert.equal(tone.kendall_tau_b!.estimate, Math.round(tau * 1e6) / 1e6);
  }
  const kappa = weightedKappa(human, judge);
  if (!Number.isNaN(kappa)) {
    assert.equal(tone.weighted_kappa, Math.round(kappa * 1e6) / 1e6);
  }
  assert.equal(tone.confusion.flat().reduce((a, b) => a + b, 0), cells.length);
  const correctness = result.dimensions.correctness!;
  assert.equal(correctness.bias, 0);
  assert.equal(correctness.exact, 1);
  const worst = result.disagreements.safety![0]!;
  assert.equal(worst.case_id, cells[0]!.case_key);
  assert.equal(worst.human_note, "note 0");
  assert.equal(worst.judge_reasoning, cells[0]!.rubric!.safety!.reasoning);
  assert.equal(worst.run_id, runId);
  // Deterministic for a seed.
  assert.deepEqual(
    await calibrate(store, {
      task: "support_triage",
      judge: "fake-judge",
      resamples: 200,
    }),
    result,
  );
});

Deno.test("calibrate() reports labels whose output changed or was never judged, and never matches them", async () => {
  await using store = await open(":memory:");
  const runId = await judgedRun(store);
  const cell = (await listResults(store, runId))[0]!;
  const base = {
    labeller: "sam",
    scores: { correctness: 4, safety: 5, helpfulness: 3, tone: 4, empathy: 2 },
  };
  await addLabels(store, "support_triage", [
    {
      ...base,
      "case_id": cell.case_key,
      repetition: cell.repetition,
      "output_sha256": sha256Hex(`${cell.output} edited`),
    },
    { ...base, "case_id": "st-003", "output_sha256": "c".repeat(64) },
    {
      ...base,
      "case_id": cell.case_key,
      repetition: cell.repetition,
      "output_sha256": sha256Hex(cell.output!),
    },
  ]);
  const result = await calibrate(store, {
    task: "support_triage",
    judge: "fake-judge",
    resamples: 50,
  });
  assert.equal(result.matched, 1);
  assert.deepEqual(result.unmatched.map((u) => u.reason).sort(), [
    "no_cell",
    "output_changed",
  ]);
  assert.deepEqual(result.unknown_dimensions, ["empathy"]);
  assert.equal(result.dimensions.tone?.n, 1);
  // Another judge config judged nothing.
  const other = await calibrate(store, {
    task: "support_triage",
    judge: "gpt-4o-mini",
    resamples: 50,
  });
  assert.equal(other.matched, 0);
  assert.equal(other.unmatched.length, 3);
});

Deno.test("addLabels() stores a label once and keeps the repetition optional", async () => {
  await using store = await open(":memory:");
  const line = {
    "case_id": "rm-001",
    "output_sha256": "a".repeat(64),
    labeller: "sam",
    scores: { accuracy: 3 },
  };
  const first = await addLabels(store, "resume_matching", [line]);
  assert.equal(first.inserted, 1);
  assert.match(first.labels[0]!.id, /^lbl_[0-9a-f]{24}$/);
  assert.equal(
    (await addLabels(store, "resume_matching", [line])).inserted,
    0,
  );
  assert.equal(
    (await addLabels(store, "resume_matching", [{ ...line, repetition: 2 }]))
      .inserted,
    1,
  );
  await assert.rejects(
    addLabels(store, "resume_matching", [{ ...line, scores: { accuracy: 0 } }]),
    ValidationError,
  );
});

Deno.test("parseLabels() names the line and field of every problem", () => {
  const good = JSON.stringify({
    "case_id": "rm-001",
    "output_sha256": "a".repeat(64),
    labeller: "sam",
    scores: { accuracy: 3 },
  });
  assert.equal(parseLabels(`${good}\n\n${good}\n`).length, 2);
  assert.throws(
    () => parseLabels(`${good}\n{oops`, { file: "x.labels.jsonl" }),
    (e) => e instanceof FileSyntaxError && e.line === 2,
  );
  const bad = good.replace('"accuracy":3', '"accuracy":3.5').replace(
    "a".repeat(64),
    "nothex",
  );
  assert.throws(
    () => parseLabels(`${good}\n${bad}`, { file: "x.labels.jsonl" }),
    (e) =>
      e instanceof ValidationError && e.issues.length === 2 &&
      e.issues.every((i) => i.line === 2) &&
      e.issues.some((i) => i.field === "output_sha256") &&
      e.issues.some((i) => i.field === "scores.accuracy"),
  );
});

Deno.test("the shipped labels files are valid and cover every slice with at least 40 outputs", async () => {
  for (const task of ["resume_matching", "support_triage"]) {
    const file = `datasets/${task}.labels.jsonl`;
    const labels = parseLabels(await Deno.readTextFile(file), { file });
    assert.ok(labels.length >= 40, `${file}: ${labels.length} labels`);
    assert.ok(labels.every((l) => (l.note ?? "").length > 20));
    const cases = (await Deno.readTextFile(`datasets/${task}.jsonl`))
      .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
    const slices = new Set(
      labels.map((l) => cases.find((c) => c.id === l.case_id)?.slice),
    );
    assert.deepEqual(
      [...slices].sort(),
      ["adversarial", "edge", "known_failure", "typical"],
    );
    assert.equal(
      new Set(labels.map((l) => l.output_sha256)).size,
      labels.length,
    );
  }
});
