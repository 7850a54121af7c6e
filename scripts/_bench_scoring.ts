/**
 * Benchmark part 6: a scorecard with intervals for a run's results, and a
 * paired-bootstrap verdict for two runs: reading the run from the database,
 * `computeScorecard` alone (1,000 bootstrap resamples), `scoreRun` (read,
 * compute, store), and `compare` (both runs scored, paired bootstrap,
 * verdict stored).
 *
 * Usage: _bench_scoring.ts <database> <baseline run id> <candidate run id>
 *
 * @module
 */
import { compare } from "../lib/compare/compare.ts";
import { computeScorecard } from "../lib/scoring/compute_scorecard.ts";
import { scoreRun } from "../lib/scoring/score_run.ts";
import { getTask } from "../lib/store/catalog.ts";
import { open } from "../lib/store/open.ts";
import { getRun } from "../lib/store/runs.ts";
import { listReceiptFigures, listResults } from "../lib/store/scores.ts";
import { databaseUrl, report, round } from "./_bench_util.ts";

const [database, baseline, candidate] = Deno.args;
if (!database || !baseline || !candidate) {
  throw new TypeError(
    "Usage: _bench_scoring.ts <database> <baseline run id> <candidate run id>",
  );
}
await using store = await open(databaseUrl(database));
const run = await getRun(store, baseline);
const task = await getTask(store, run.task, { id: run.task_id });

let started = performance.now();
const [results, receipts] = await Promise.all([
  listResults(store, run.id),
  listReceiptFigures(store, run.id),
]);
const readMs = performance.now() - started;

started = performance.now();
const card = computeScorecard({ task, results, receipts, run });
const computeMs = performance.now() - started;

started = performance.now();
await scoreRun(store, run.id);
const scoreRunMs = performance.now() - started;

started = performance.now();
const verdict = await compare(store, { baseline, candidate });
const compareMs = performance.now() - started;

report({
  part: "scoring",
  results: results.length,
  receipts: receipts.length,
  read_ms: round(readMs, 1),
  compute_scorecard_ms: round(computeMs, 1),
  score_run_ms: round(scoreRunMs, 1),
  compare_ms: round(compareMs, 1),
  resamples: card.bootstrap.resamples,
  aggregate: card.aggregate,
  verdict: verdict.verdict,
  paired_cases: verdict.paired_cases,
});
