/**
 * Benchmark part 4: the cost of resuming a run killed at 50%. A child
 * process runs an experiment and SIGKILLs itself once half of its cells are
 * committed; this process then resumes the run, timing it and recording
 * every model call, and checks that no committed cell was called again,
 * that every cell is there exactly once, and that the trace chain holds.
 *
 * Usage: _bench_resume.ts <catalog dir> <database file>
 *
 * @module
 */
import { CompiledQuery } from "kysely";
import { resumeExperiment } from "../lib/experiment/experiment.ts";
import { open } from "../lib/store/open.ts";
import { getRun } from "../lib/store/runs.ts";
import { listTraceEvents } from "../lib/store/trace.ts";
import { verifyChain } from "../lib/trace/event.ts";
import { countingAdapters, report, round, tally } from "./_bench_util.ts";
import { DENO_RUN } from "../lib/_deno_run.ts";

const [catalog, database] = Deno.args;
if (!catalog || !database) {
  throw new TypeError("Usage: _bench_resume.ts <catalog dir> <database file>");
}

const killedStarted = performance.now();
const child = await new Deno.Command(Deno.execPath(), {
  args: [
    ...DENO_RUN,
    new URL("./_bench_resume_child.ts", import.meta.url).pathname,
    catalog,
    database,
  ],
  stdout: "null",
  stderr: "null",
}).output();
const killedMs = performance.now() - killedStarted;
if (child.signal !== "SIGKILL") {
  throw new Error(
    `The run to resume was meant to be killed, but it ended with code ${child.code}`,
  );
}

const store = await open(`file:${database}`);
const rows = async (sql: string, args: string[] = []): Promise<unknown[][]> =>
  (await store.db.executeQuery(CompiledQuery.raw(sql, args))).rows.map((r) =>
    Object.values(r as Record<string, unknown>)
  );
const [runRow] = await rows("SELECT id, repetitions FROM runs");
const runId = String(runRow![0]);
const committed = new Set(
  (await rows(
    "SELECT case_key || '#' || repetition FROM results WHERE run_id = ?",
    [runId],
  )).map((r) => String(r[0])),
);
const cases = Number(
  (await rows(
    "SELECT count(*) FROM test_cases WHERE dataset_id = (SELECT dataset_id FROM runs WHERE id = ?)",
    [runId],
  ))[0]![0],
);
const total = cases * Number(runRow![1]);

const seen = tally();
const marks = { start: NaN };
const started = performance.now();
const result = await resumeExperiment(store, runId, {
  adapterFor: countingAdapters(seen, true),
  progress: {
    start: () => (marks.start = performance.now()),
    update: () => {},
    stop: () => {},
  },
});
const resumeMs = performance.now() - started;
const firstCall = seen.starts.length > 0 ? seen.starts[0]! - started : NaN;

const recalled = seen.cells.filter((c) =>
  committed.has(c.replace(/#(generate|judge)$/, ""))
);
const [[all, distinct]] = await rows(
  "SELECT count(*), count(DISTINCT case_key || '#' || repetition) FROM results WHERE run_id = ?",
  [runId],
) as [[number, number]];
const events = await listTraceEvents(
  store,
  (await getRun(store, runId)).trace_id,
);
const chain = verifyChain(events);
await store.close();

const summary = result.runs[0]!;
report({
  part: "resume",
  cells: total,
  killed_run_ms: round(killedMs, 1),
  committed_before_kill: committed.size,
  committed_share: round(committed.size / total, 3),
  resume_status: summary.status,
  resume_ms: round(resumeMs, 1),
  resume_plan_ms: round(marks.start - started, 1),
  resume_to_first_call_ms: round(firstCall, 1),
  resumed_cells: summary.resumed,
  cells_committed_by_resume: summary.committed,
  model_calls_in_resume: seen.calls,
  committed_cells_called_again: recalled.length,
  results_after: Number(all),
  distinct_cells_after: Number(distinct),
  trace_chain_intact: chain === null,
});
