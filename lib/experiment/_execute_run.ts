/**
 * One run's session, as the sequence of the runner's parts: prepare the
 * cells' calls a window at a time, call and judge them in a bounded pool,
 * commit each cell with its receipts and events, then set the run's status,
 * score it and close its trace.
 *
 * @module
 */
import { nowIso } from "../content/ids.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { openCellWriter } from "../store/cell_writer.ts";
import type { Store } from "../store/open.ts";
import { setRunStatus } from "../store/runs.ts";
import type { Tracer } from "../trace/tracer.ts";
import { ReceiptCache } from "./_cache.ts";
import { Caller } from "./_caller.ts";
import { CellRunner } from "./_cell.ts";
import { cellRecord } from "./_cell_record.ts";
import { CellCommitter } from "./_committer.ts";
import type { Cell, Plan } from "./_plan.ts";
import { runPool } from "./_pool.ts";
import type { RunResources } from "./_resources.ts";
import { RunTally } from "./_run_tally.ts";
import { CacheWindows } from "./_windows.ts";
import type { ResolvedRunnerOptions, RunnerOptions } from "./options.ts";
import { SILENT_PROGRESS } from "./progress.ts";
import type { RunSummary } from "./run_summary.ts";

/** What a session of one run works on. */
export interface RunSession {
  readonly plan: Plan;
  /** The cells to run now (not yet committed). */
  readonly cells: readonly Cell[];
  /** Cells an earlier session committed. */
  readonly resumed: number;
  readonly tracer: Tracer;
  readonly resources: RunResources;
}

/**
 * Runs a session's cells and finishes the run: `completed` (and scored)
 * when every cell is committed, `interrupted` (resumable) when cancelled.
 *
 * @throws The first commit error, once the cells in flight are done.
 */
export async function executeRun(
  store: Store,
  session: RunSession,
  options: RunnerOptions,
  resolved: ResolvedRunnerOptions,
): Promise<RunSummary> {
  const { plan, cells, tracer, resources } = session;
  const { run, version, model } = plan;
  const cache = new ReceiptCache(store);
  const caller = new Caller(run, resources, cache, resolved.cache, options);
  const runner = new CellRunner(
    plan,
    caller,
    resolved.cache !== "off",
    options.signal,
  );
  const windows = new CacheWindows(cells, runner, {
    task: plan.task,
    judge: plan.judgeConfig,
    cache,
    lookup: resolved.cache === "use",
  });
  const writer = await openCellWriter(store, cells.length);
  const committer = new CellCommitter(writer, tracer);
  const tally = new RunTally();
  const progress = options.progress ?? SILENT_PROGRESS;
  const label = `${version.id} x ${model.id}`;
  const stopping = () =>
    (options.signal?.aborted ?? false) || committer.error !== undefined;
  progress.start(label, cells.length);
  try {
    await runPool(cells.length, resolved.concurrency, async (index, sent) => {
      if (stopping()) return;
      const cell = cells[index]!;
      const prepared = await windows.get(index);
      const outcome = await runner.run(cell, prepared, sent)
        .finally(() => windows.release(index));
      if (!outcome) return;
      // What is left needs no model: the pool starts the next cell's call
      // before doing it, so it overlaps the calls in flight.
      return async () => {
        const record = cellRecord(run.id, cell, outcome);
        committer.commit(record.write, record.events, () => {
          tally.add(record.write.receipts, outcome.status, outcome.judgeError);
          for (const r of record.write.receipts) {
            if (
              r.cache_key !== null && r.cached_from === null &&
              r.status === "ok"
            ) windows.committed(r.cache_key);
          }
          progress.update(tally.progress(label, cells.length));
        });
        await committer.room();
      };
    });
  } finally {
    await committer.idle();
    await writer.close();
    progress.stop(tally.progress(label, cells.length));
  }
  if (committer.error !== undefined) throw committer.error;
  const complete = tally.committed === cells.length;
  const status = complete ? "completed" : "interrupted";
  await setRunStatus(store, run.id, status, complete ? nowIso() : null);
  const scorecard = complete ? (await scoreRun(store, run.id)).sha256 : null;
  await tracer.emit("run_finished", {
    data: {
      run_id: run.id,
      status,
      committed: tally.committed,
      failures: tally.failures,
      judge_errors: tally.judgeErrors,
      cost: tally.cost.toString(),
      scorecard_sha256: scorecard,
    },
  });
  return {
    run_id: run.id,
    prompt_version_id: version.id,
    model_config_id: model.id,
    status,
    cells: session.resumed + cells.length,
    committed: tally.committed,
    resumed: session.resumed,
    failures: tally.failures,
    judge_errors: tally.judgeErrors,
    adapter_calls: caller.adapterCalls,
    cache_hits: caller.cacheHits,
    cost: tally.cost.toString(),
    uncached_cost: tally.uncached.toString(),
    scorecard_sha256: scorecard,
  };
}
