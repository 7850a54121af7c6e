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
import { type CellWriter, openCellWriter } from "../store/cell_writer.ts";
import type { CellStatus } from "../schema/result.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import type { Store } from "../store/open.ts";
import {
  openSendJournal,
  type SendJournal,
  type SendsSettled,
  settleSends,
} from "../store/send_journal.ts";
import { setRunStatus } from "../store/runs.ts";
import type { Tracer } from "../trace/tracer.ts";
import { ReceiptCache } from "./_cache.ts";
import { Caller } from "./_caller.ts";
import { CellRunner, OutputJudge } from "./_cell.ts";
import { type CellRecord, cellRecord } from "./_cell_record.ts";
import { pipelineCellRecord, PipelineCellRunner } from "./_pipeline_cell.ts";
import type { PipelinePlan } from "./_pipeline_plan.ts";
import { CellCommitter } from "./_committer.ts";
import type { CellStream } from "./_cell_stream.ts";
import type { Plan } from "./_plan.ts";
import { runPool } from "./_pool.ts";
import type { RunResources } from "./_resources.ts";
import { RunTally } from "./_run_tally.ts";
import { CacheWindows } from "./_windows.ts";
import { retryPolicy, type RunnerOptions } from "./options.ts";
import { defaultProgress, type ProgressSink } from "./progress.ts";
import type { RunSummary } from "./run_summary.ts";

/** What a session of one run works on. */
export interface RunSession {
  /** A prompt version's run, or a pipeline's. */
  readonly plan: Plan | PipelinePlan;
  /** The cells to run now (not yet committed), produced a window at a time. */
  readonly cells: CellStream;
  /** Cells an earlier session committed. */
  readonly resumed: number;
  readonly tracer: Tracer;
  readonly resources: RunResources;
}

/**
 * The data of a `calls_unreceipted` event: calls a settle of the send
 * journal found sent and never receipted (`newly`), their likely cost and
 * the run's total.
 */
export function unreceiptedCalls(
  runId: string,
  sends: SendsSettled,
): Record<string, unknown> {
  return {
    run_id: runId,
    calls: sends.newly,
    likely_cost: sends.likely_cost,
    total: sends.unreceipted,
  };
}

/**
 * The parts a session's cells run through (caller, cell runner, group
 * committer, tally), kept across several lists of cells: a worker runs the
 * batches it claims through one pipeline.
 */
export class CellPipeline {
  readonly #session: Omit<RunSession, "cells" | "resumed">;
  readonly #options: RunnerOptions;
  readonly #settings: RunSettings;
  readonly #writer: CellWriter;
  readonly #journal: SendJournal;
  readonly #cache: ReceiptCache;
  readonly #runner: CellRunner | undefined;
  readonly #pipelineRunner: PipelineCellRunner | undefined;
  readonly #committer: CellCommitter;
  readonly #progress: ProgressSink;
  readonly #label: string;
  #total: number;
  /** The model calls made and cache hits served. */
  readonly caller: Caller;
  /** What has been committed. */
  readonly tally: RunTally = new RunTally();

  constructor(
    store: Store,
    session: Omit<RunSession, "cells" | "resumed">,
    options: RunnerOptions,
    settings: RunSettings,
    io: { writer: CellWriter; journal: SendJournal },
    total: number,
  ) {
    this.#session = session;
    this.#options = options;
    this.#settings = settings;
    this.#writer = io.writer;
    this.#journal = io.journal;
    this.#total = total;
    const { plan, tracer, resources } = session;
    this.#cache = new ReceiptCache(store);
    this.caller = new Caller(plan.run, resources, this.#cache, io.journal, {
      ...options,
      retry: retryPolicy(settings),
      cache: settings.cache,
    });
    if ("pipeline" in plan) {
      this.#pipelineRunner = new PipelineCellRunner(
        plan,
        this.caller,
        new OutputJudge(
          plan,
          this.caller,
          settings.cache !== "off",
          options.signal,
        ),
        options.signal,
      );
    } else {
      this.#runner = new CellRunner(
        plan,
        this.caller,
        settings.cache !== "off",
        options.signal,
      );
    }
    this.#committer = new CellCommitter(io.writer, tracer);
    this.#progress = options.progress ?? defaultProgress();
    this.#label = `${plan.run.prompt_version_id} x ${plan.run.model_config_id}`;
    this.#progress.start(this.#label, total);
  }

  /** The first commit error, if a commit failed. */
  get error(): unknown {
    return this.#committer.error;
  }

  /** Whether new cells should not start (cancelled, or a commit failed). */
  get stopping(): boolean {
    return (this.#options.signal?.aborted ?? false) ||
      this.#committer.error !== undefined;
  }

  /** Adds to the cell count the progress display shows. */
  grow(cells: number): void {
    this.#total += cells;
  }

  /**
   * Calls, judges and queues for commit each of `cells` (a bounded pool,
   * the cells taken a window at a time); resolves when their model work is
   * done (their commits may still run).
   */
  async run(cells: CellStream): Promise<void> {
    const { plan } = this.#session;
    const run = plan.run;
    const concurrency = this.#settings.concurrency ?? Number.POSITIVE_INFINITY;
    const pipelineRunner = this.#pipelineRunner;
    if (pipelineRunner) {
      await runPool(cells.count, concurrency, async (index, sent) => {
        if (this.stopping) return;
        const cell = await cells.cell(index);
        const outcome = await pipelineRunner.run(cell, sent);
        if (!outcome) return;
        return async () => {
          await this.#commit(
            pipelineCellRecord(run.id, cell, outcome),
            outcome,
          );
        };
      });
      return;
    }
    const runner = this.#runner!;
    const windows = new CacheWindows(cells, runner, {
      task: plan.task,
      judge: plan.judgeConfig,
      cache: this.#cache,
      lookup: this.#settings.cache === "use",
    });
    await runPool(cells.count, concurrency, async (index, sent) => {
      if (this.stopping) return;
      const prepared = await windows.get(index);
      const { cell } = prepared;
      const outcome = await runner.run(cell, prepared, sent)
        .finally(() => windows.release(index));
      if (!outcome) return;
      // What is left needs no model: the pool starts the next cell's call
      // before doing it, so it overlaps the calls in flight.
      return async () => {
        await this.#commit(
          cellRecord(run.id, cell, outcome),
          outcome,
          (key) => windows.committed(key),
        );
      };
    });
  }

  /** Queues a cell's record for commit, and waits for room in the queue. */
  async #commit(
    record: CellRecord,
    outcome: { status: CellStatus; judgeError: string | null },
    committed?: (cacheKey: string) => void,
  ): Promise<void> {
    this.#committer.commit(record.write, record.events, () => {
      this.tally.add(
        record.write.receipts,
        outcome.status,
        outcome.judgeError,
      );
      if (committed) {
        for (const r of record.write.receipts) {
          if (
            r.cache_key !== null && r.cached_from === null &&
            r.status === "ok"
          ) committed(r.cache_key);
        }
      }
      this.#progress.update(this.tally.progress(this.#label, this.#total));
    });
    await this.#committer.room();
  }

  /** Waits until every queued cell is committed (or a commit failed). */
  idle(): Promise<void> {
    return this.#committer.idle();
  }

  /** Waits for the commits, closes the writer, the journal and the progress display. */
  async close(): Promise<void> {
    try {
      await this.#committer.idle();
      await this.#writer.close();
    } finally {
      // A journal that cannot be folded now (the database failed) stays, and
      // the next resume folds it.
      await this.#journal.close().catch(() => {});
      this.#progress.stop(this.tally.progress(this.#label, this.#total));
    }
  }
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
  settings: RunSettings,
): Promise<RunSummary> {
  const { plan, cells, tracer } = session;
  const { run } = plan;
  const journal = await openSendJournal(store, run.id);
  const writer = await openCellWriter(store, cells.count);
  const pipeline = new CellPipeline(
    store,
    session,
    options,
    settings,
    { writer, journal },
    cells.count,
  );
  try {
    await pipeline.run(cells);
  } finally {
    await pipeline.close();
  }
  if (pipeline.error !== undefined) throw pipeline.error;
  const { tally, caller } = pipeline;
  // Calls this session sent and did not receipt (cut short by a cancel).
  const sends = await settleSends(store, run.id);
  const complete = tally.committed === cells.count;
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
      unreceipted_calls: sends.unreceipted,
      scorecard_sha256: scorecard,
    },
  });
  return {
    run_id: run.id,
    prompt_version_id: run.prompt_version_id,
    model_config_id: run.model_config_id,
    status,
    cells: session.resumed + cells.count,
    committed: tally.committed,
    resumed: session.resumed,
    failures: tally.failures,
    judge_errors: tally.judgeErrors,
    adapter_calls: caller.adapterCalls,
    cache_hits: caller.cacheHits,
    attempts: caller.attempts,
    failed_attempts: caller.failedAttempts,
    rate_limited: caller.rateLimited,
    retry_wait_ms: caller.retryWaitMs,
    cost: tally.cost.toString(),
    uncached_cost: tally.uncached.toString(),
    unreceipted_calls: sends.unreceipted,
    scorecard_sha256: scorecard,
  };
}
