import { newId, nowIso } from "../content/ids.ts";
import { ConflictError } from "../errors.ts";
import { contentHash } from "../content/sha256.ts";
import { openSendJournal, settleSends } from "../store/send_journal.ts";
import { WorkflowSchema } from "../trace/workflow.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { scoreRun } from "../scoring/score_run.ts";
import type { CellWriter } from "../store/cell_writer.ts";
import type { Case } from "../schema/dataset.ts";
import { readCases } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import {
  appendRunEvents,
  claimCells,
  type ClaimedCell,
  commitClaimedCells,
  completeRun,
  enqueueCells,
  markRunRunning,
  queueState,
  releaseLeases,
  renewLeases,
  startPlannedRun,
} from "../store/run_cells.ts";
import { countCommittedCells, getRun } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import { rechain } from "./_chain.ts";
import { CellPipeline, unreceiptedCalls } from "./_execute_run.ts";
import { isPipelineRun } from "./_pipeline_plan.ts";
import { CellStream } from "./_cell_stream.ts";
import {
  type Cell,
  pendingCellWindows,
  type Plan,
  planStoredRun,
} from "./_plan.ts";
import type { RunSettings } from "../schema/run_settings.ts";
import { loadResources, type RunResources } from "./_resources.ts";
import { SharedRateLimiter } from "./_shared_limiter.ts";
import { resolveSettings, type RunnerOptions } from "./options.ts";
import type { RunStatus } from "../store/runs.ts";

/** Options for {@linkcode runWorker}. */
export interface WorkerOptions extends RunnerOptions {
  /**
   * How long a claim holds, in milliseconds. A worker renews its leases
   * every third of it; a worker that dies stops renewing, and its cells are
   * taken over once their leases run out.
   * @default {30000}
   */
  leaseMs?: number;
  /** Cells claimed at a time. @default {4 x concurrency} */
  batch?: number;
  /** This worker's id. @default {a new `wkr_` id} */
  workerId?: string;
  /**
   * How often a worker with nothing to claim looks again while other
   * workers hold the last cells, in milliseconds.
   * @default {min(1000, leaseMs / 4)}
   */
  pollMs?: number;
}

/** What one worker did on a run. */
export interface WorkerSummary {
  /** The run. */
  readonly run_id: string;
  /** This worker's id. */
  readonly worker_id: string;
  /** The run's status when the worker left. */
  readonly run_status: RunStatus;
  /** Whether this worker closed the run (scored it and wrote `run_finished`). */
  readonly closed_run: boolean;
  /** Cells this worker committed. */
  readonly committed: number;
  /** Cells this worker claimed after another worker's lease on them ran out. */
  readonly taken_over: number;
  /**
   * Cells this worker called but did not commit because another worker had
   * taken them over (its lease ran out while it was still working on them).
   */
  readonly lost: number;
  /** Model calls this worker made. */
  readonly adapter_calls: number;
  /** Commit transactions this worker ran. */
  readonly commits: number;
  /** Time those transactions took, waiting for the run's lock included, in ms. */
  readonly commit_ms: number;
  /** Calls served from the cache. */
  readonly cache_hits: number;
  /** The run's scorecard, when this worker closed the run. */
  readonly scorecard_sha256: string | null;
}

/**
 * Works on a run together with any number of other workers, in this
 * process, in others, or on other machines, through the shared store: it
 * claims cells with leases that expire (`FOR UPDATE SKIP LOCKED` on
 * PostgreSQL; one writer at a time on a SQLite file, so workers on one
 * machine share a file too), runs them through the same runner as
 * {@linkcode experiment} (receipts, cache, checks, judges), and commits each
 * cell it still holds exactly once, with its trace events chained on the
 * run's trace. Rate limits given in `rateLimits` are shared by every worker
 * through the store. When no cell is left it waits for cells other workers
 * hold (taking over those whose lease runs out); when every cell is
 * committed, one worker marks the run completed, scores it and closes its
 * trace. Aborting (`signal`) stops claiming; the worker's unfinished cells
 * are released at once for others.
 *
 * @param store The shared database.
 * @param runId The run to work on (created by `experiment` or `planRuns`).
 * @param options How to run, the lease and the batch size.
 * @returns What this worker did.
 * @throws {NotFoundError} If the run does not exist.
 *
 * @example Two workers share a run
 * ```ts
 * import { loadCatalog, open, planRuns, runWorker } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { runs } = await planRuns(store, {
 *   task: "resume_matching", prompts: ["v1"], models: ["fake-fast"], cases: ["rm-001", "rm-002"],
 * });
 * const workers = await Promise.all([
 *   runWorker(store, runs[0]!.id, { batch: 2 }),
 *   runWorker(store, runs[0]!.id, { batch: 2 }),
 * ]);
 * assert.equal(workers[0]!.committed + workers[1]!.committed, 6);
 * assert.equal(workers.filter((w) => w.closed_run).length, 1);
 * ```
 */
export async function runWorker(
  store: Store,
  runId: string,
  options: WorkerOptions = {},
): Promise<WorkerSummary> {
  const run = await getRun(store, runId);
  // The run's recorded settings, with what this worker was given instead.
  const { settings } = resolveSettings(options, run.settings);
  const leaseMs = options.leaseMs ?? 30_000;
  const batch = options.batch ??
    (settings.concurrency === null ? 256 : 4 * settings.concurrency);
  const pollMs = options.pollMs ?? Math.min(1000, leaseMs / 4);
  for (const [name, value] of [["leaseMs", leaseMs], ["batch", batch]]) {
    if (!(Number.isInteger(value) && (value as number) >= 1)) {
      throw new TypeError(
        `Expected ${name} to be a positive integer but found ${value}`,
      );
    }
  }
  const worker = options.workerId ?? newId("wkr");
  const summary = (
    status: RunStatus,
    fields: Partial<WorkerSummary> = {},
  ): WorkerSummary => ({
    run_id: run.id,
    worker_id: worker,
    run_status: status,
    closed_run: false,
    committed: 0,
    taken_over: 0,
    lost: 0,
    adapter_calls: 0,
    commits: 0,
    commit_ms: 0,
    cache_hits: 0,
    scorecard_sha256: null,
    ...fields,
  });
  if (run.status === "completed") return summary("completed");
  if (isPipelineRun(run)) {
    throw new ConflictError(
      `Cannot work on run '${run.id}': it runs pipeline ${run.prompt_version_id}, which only the process that has its module can run; resume it with \`wb experiment --resume ${run.id} --pipeline FILE.ts#name\``,
    );
  }

  const plan = await planStoredRun(store, run);
  const loaded = await loadResources(store, [plan], settings, options);
  const resources: RunResources = {
    ...loaded,
    limiters: new Map(
      Object.entries(settings.rate_limits).map((
        [provider, limits],
      ) => [
        provider,
        new SharedRateLimiter(store, provider, {
          ...(limits.requests_per_minute === undefined
            ? {}
            : { requestsPerMinute: limits.requests_per_minute }),
          ...(limits.tokens_per_minute === undefined
            ? {}
            : { tokensPerMinute: limits.tokens_per_minute }),
        }, options.rateLimitClock),
      ]),
    ),
  };
  if (run.status === "planned") {
    await startPlanned(store, plan, settings);
  }
  const committed = await countCommittedCells(store, run.id);
  // Queued a window of cells at a time, as they are read (other workers may
  // be committing cells meanwhile: a queued cell is run once however many
  // workers queue it).
  for await (
    const window of pendingCellWindows(
      store,
      plan.cases,
      run.repetitions,
      run.id,
    )
  ) {
    await enqueueCells(
      store,
      run.id,
      window.map((c) => ({
        case_key: c.testCase.id,
        repetition: c.repetition,
      })),
    );
  }
  await markRunRunning(store, run.id);

  // A claimed batch's cases are read from the store when it is claimed.
  const toCells = async (claimed: readonly ClaimedCell[]): Promise<Cell[]> => {
    const cases = new Map<string, Case>();
    const keys = [...new Set(claimed.map((c) => c.case_key))];
    for await (
      const window of readCases(store, run.dataset_id, { keys })
    ) {
      for (const c of window) cases.set(c.id, c);
    }
    return claimed.map((c) => ({
      testCase: cases.get(c.case_key)!,
      repetition: c.repetition,
    }));
  };
  let lost = 0;
  let commits = 0;
  let commitMs = 0;
  // Events are built on this tracer, then chained again on the run's trace
  // head inside each commit: other workers write to the same trace.
  const tracer = await Tracer.resume(store, run.trace_id, {
    secrets: resources.secrets,
  });
  const journal = await openSendJournal(store, run.id);
  const writer: CellWriter = {
    threaded: false,
    async write(cells) {
      const started = performance.now();
      const written = await commitClaimedCells(
        store,
        run,
        worker,
        cells,
        (kept, head) => rechain(kept.map((i) => cells[i]!.events), head),
      );
      lost += written.lost.length;
      commits++;
      commitMs += performance.now() - started;
    },
    close: () => Promise.resolve(),
  };
  const pipeline = new CellPipeline(
    store,
    { plan, tracer, resources },
    options,
    settings,
    { writer, journal },
    0,
  );
  let takenOver = 0;
  const claim = async () => {
    const claimed = await claimCells(store, run.id, worker, batch, leaseMs);
    takenOver += claimed.filter((c) => c.claims > 1).length;
    return claimed;
  };
  let renewing: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renewLeases(store, run.id, worker, leaseMs).catch(() => {});
  }, Math.max(1, Math.floor(leaseMs / 3)));
  let complete = false;
  try {
    let next: Promise<ClaimedCell[]> | null = claim();
    while (!pipeline.stopping) {
      const claimed: ClaimedCell[] = await (next ?? claim());
      next = null;
      if (claimed.length > 0) {
        pipeline.grow(claimed.length);
        // The next batch is claimed while this one runs.
        next = claim();
        await pipeline.run(CellStream.of(await toCells(claimed)));
        continue;
      }
      await pipeline.idle();
      const state = await queueState(store, run.id);
      if (state.done >= state.cells) {
        complete = true;
        break;
      }
      await sleep(Math.min(pollMs, (state.nextExpiryMs ?? pollMs) + 1));
    }
    // A batch claimed ahead and not run: its leases are released below.
    if (next) await next;
  } finally {
    clearInterval(heartbeat);
    await renewing;
    await pipeline.close();
    if (!complete) await releaseLeases(store, run.id, worker);
  }
  if (pipeline.error !== undefined) throw pipeline.error;
  const fields = {
    committed: pipeline.tally.committed - lost,
    taken_over: takenOver,
    lost,
    adapter_calls: pipeline.caller.adapterCalls,
    cache_hits: pipeline.caller.cacheHits,
    commits,
    commit_ms: Math.round(commitMs),
  };
  if (!complete) return summary((await getRun(store, run.id)).status, fields);
  if (!await completeRun(store, run.id, nowIso())) {
    return summary("completed", fields);
  }
  // Calls sent and never receipted, every session's: a killed worker's
  // journal is counted; a live one's is left to it (this worker's own was
  // folded when its pipeline closed).
  const sends = await settleSends(store, run.id, { fold: false });
  const scorecard = (await scoreRun(store, run.id)).sha256;
  const cells = (await queueState(store, run.id)).done + committed;
  const finished = await Tracer.resume(store, run.trace_id, {
    secrets: resources.secrets,
  });
  await appendRunEvents(
    store,
    run,
    (head) =>
      rechain([[
        ...(sends.newly > 0
          ? [finished.next("calls_unreceipted", {
            data: unreceiptedCalls(run.id, sends),
          })]
          : []),
        finished.next("run_finished", {
          data: {
            run_id: run.id,
            status: "completed",
            committed: cells,
            unreceipted_calls: sends.unreceipted,
            scorecard_sha256: scorecard,
            closed_by: worker,
          },
        }),
      ]], head)[0]!,
  );
  return summary("completed", {
    ...fields,
    closed_run: true,
    scorecard_sha256: scorecard,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts a planned run's trace (its workflow snapshot, `workflow_started`
 * and `run_started`, as `experiment` starts a run) unless another worker
 * already did.
 */
async function startPlanned(
  store: Store,
  plan: Plan,
  settings: RunSettings,
): Promise<void> {
  const { run } = plan;
  const workflow = WorkflowSchema.parse(run.workflow);
  const sha256 = contentHash(workflow);
  const at = nowIso();
  const event = (
    type: string,
    data: Record<string, unknown>,
  ): TraceEvent => ({
    trace_id: run.trace_id,
    index: 0,
    type,
    step: null,
    at,
    data,
    prev_hash: "",
    hash: "",
  });
  await startPlannedRun(
    store,
    run,
    { name: workflow.name, snapshot: workflow, sha256, created_at: at },
    (head) =>
      rechain([[
        event("workflow_started", { workflow: workflow.name, sha256 }),
        event("run_started", {
          run_id: run.id,
          prompt_version: plan.version.id,
          prompt_sha256: plan.version.sha256,
          model_config: plan.model.id,
          dataset: run.dataset_id,
          repetitions: run.repetitions,
          settings,
        }),
      ]], head)[0]!,
  );
}
