import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelRequest, ModelResponse } from "../schema/model_call.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { open, type Store } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import { latestScorecard } from "../store/scores.ts";
import { eachStore } from "../store/test_stores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { promptBytes } from "./_caller.ts";
import { planRuns } from "./plan_runs.ts";
import type { LimiterClock } from "./rate_limiter.ts";
import { runWorker, type WorkerSummary } from "./run_worker.ts";
import { DENO_RUN_NET } from "../_deno_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Each cell's result count, and how many cells a run has. */
async function cellCounts(
  store: Store,
  runId: string,
): Promise<{ rows: number; cells: number }> {
  const rows = await store.db.selectFrom("results")
    .select(["case_key", "repetition"]).where("run_id", "=", runId).execute();
  return {
    rows: rows.length,
    cells: new Set(rows.map((r) => `${r.case_key}#${r.repetition}`)).size,
  };
}

/** The run's trace verifies, and `run_finished` is on it exactly once. */
async function assertClosedOnce(store: Store, runId: string): Promise<void> {
  const events = await listTraceEvents(
    store,
    (await getRun(store, runId)).trace_id,
  );
  assert.equal(verifyChain(events), null);
  assert.equal(events.filter((e) => e.type === "run_finished").length, 1);
}

/**
 * A worker's rate-limit clock, standing still at 0 (every call asks for its
 * slot at the same instant, when the limit binds hardest): a wait is
 * recorded instead of slept, and is the distance of the reserved slot from 0.
 */
function frozenClock(waits: number[]): LimiterClock {
  return {
    now: () => 0,
    sleep(ms) {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

/**
 * Adapters that count a worker's calls; its first call is sent only once
 * every worker has a call to send, so each one reserves slots.
 */
function countedAdapters(
  worker: string,
  calls: Map<string, number>,
  everyWorker: Promise<unknown>,
  ready: () => void,
): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request) {
        calls.set(worker, (calls.get(worker) ?? 0) + 1);
        ready();
        await everyWorker;
        return inner.call(request);
      },
    };
  };
}

eachStore.test("runWorker() shares a run between workers: every cell once, one worker closes the run", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store, { root: ROOT });
  const { runs } = await planRuns(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-002", "st-003", "st-004", "st-005", "st-006"],
  });
  const run = runs[0]!;
  assert.equal((await getRun(store, run.id)).status, "planned");
  const workers = await Promise.all(
    [1, 2, 3].map((n) =>
      runWorker(store, run.id, { workerId: `w${n}`, batch: 2, concurrency: 2 })
    ),
  );
  assert.equal(workers.reduce((sum, w) => sum + w.committed, 0), 18);
  assert.deepEqual(workers.map((w) => w.lost), [0, 0, 0]);
  assert.equal(workers.filter((w) => w.closed_run).length, 1);
  assert.deepEqual(await cellCounts(store, run.id), { rows: 18, cells: 18 });
  const finished = await getRun(store, run.id);
  assert.equal(finished.status, "completed");
  const closer = workers.find((w) => w.closed_run)!;
  assert.equal(
    (await latestScorecard(store, run.id))?.sha256,
    closer.scorecard_sha256,
  );
  await assertClosedOnce(store, run.id);
  // A worker joining a completed run has nothing to do.
  const late = await runWorker(store, run.id);
  assert.deepEqual([late.run_status, late.committed], ["completed", 0]);
});

eachStore.test("runWorker() shares a requests-per-minute limit between workers through the store", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store, { root: ROOT });
  const { runs } = await planRuns(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002", "st-003", "st-004"],
  });
  // 1,200 requests per minute: a slot every 50 ms across both workers,
  // whose own concurrency would allow 8 calls at once.
  const workers = ["w1", "w2"];
  const calls = new Map<string, number>();
  const waits = new Map(workers.map((w) => [w, [] as number[]]));
  const ready = workers.map(() => Promise.withResolvers<void>());
  const everyWorker = Promise.all(ready.map((r) => r.promise));
  await Promise.all(workers.map((worker, i) =>
    runWorker(store, runs[0]!.id, {
      workerId: worker,
      concurrency: 4,
      batch: 4,
      cache: "off",
      rateLimits: { fake: { requestsPerMinute: 1200 } },
      rateLimitClock: frozenClock(waits.get(worker)!),
      adapterFor: countedAdapters(
        worker,
        calls,
        everyWorker,
        ready[i]!.resolve,
      ),
    })
  ));
  // Each worker's slots: the waits it was told (a slot at 0 needs none).
  const slots = new Map(workers.map((w) => {
    const told = waits.get(w)!;
    const untold = (calls.get(w) ?? 0) - told.length;
    assert.ok(untold === 0 || untold === 1, `${w}: ${untold} calls at 0`);
    return [w, [...(untold ? [0] : []), ...told].toSorted((a, b) => a - b)];
  }));
  for (const w of workers) assert.ok(slots.get(w)!.length > 0, `${w} called`);
  // Together the workers' 12 calls took 12 distinct slots 50 ms apart on
  // the limiter's clock: 11 intervals, none shared.
  assert.deepEqual(
    [...slots.values()].flat().toSorted((a, b) => a - b),
    Array.from({ length: 12 }, (_, k) => k * 50),
  );
  // So neither worker went faster than the shared rate on its own.
  for (const [w, own] of slots) {
    for (let k = 1; k < own.length; k++) {
      assert.ok(own[k]! - own[k - 1]! >= 50, `${w}: slots ${own}`);
    }
  }
  // The store holds the next free slot: after the 12th.
  const row = await store.db.selectFrom("rate_limits").select("next_ms")
    .where("key", "=", "rpm:fake").executeTakeFirstOrThrow();
  assert.equal(Number(row.next_ms), 12 * 50);
});

eachStore.test("runWorker() shares a tokens-per-minute limit between workers: reserved before each call, settled to its usage", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store, { root: ROOT });
  const { runs } = await planRuns(store, {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002", "st-003", "st-004"],
  });
  // One clock both workers share, advanced only by their waits: a wait
  // wakes its worker at the time it reserved at plus the wait. Each worker
  // makes one call at a time, so its last reading is the time its call's
  // tokens were reserved at.
  let time = 0;
  const wakes: number[] = [];
  const workers = ["w1", "w2"];
  const readings = new Map(workers.map((w) => [w, 0]));
  const clockOf = (worker: string): LimiterClock => ({
    now() {
      readings.set(worker, time);
      return time;
    },
    sleep(ms) {
      const wake = readings.get(worker)! + ms;
      wakes.push(wake);
      time = Math.max(time, wake);
      return Promise.resolve();
    },
  });
  // Every call reports one token per prompt byte and 24 output tokens
  // fewer than its max_tokens, so its reservation (bytes x 1 + max_tokens)
  // is 24 tokens above the usage it is settled to.
  const sent: { worker: string; at: number; usage: number }[] = [];
  const unheld: string[] = [];
  const ready = workers.map(() => Promise.withResolvers<void>());
  const everyWorker = Promise.all(ready.map((r) => r.promise));
  const adapters = (worker: string, i: number) => (config: ModelConfig) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request: ModelRequest): Promise<ModelResponse> {
        const bytes = promptBytes(request);
        const max = Number(request.params?.["max_tokens"]);
        const at = readings.get(worker)!;
        sent.push({ worker, at, usage: bytes + max - 24 });
        // Its tokens are held before it is sent, at their estimate.
        const holding = await store.db.selectFrom("rate_usage")
          .select("id").where("key", "=", "tpm:fake")
          .where("at_ms", "=", at).where("tokens", "=", bytes + max)
          .execute();
        if (holding.length === 0) unheld.push(`${worker} at ${at}`);
        ready[i]!.resolve();
        await everyWorker;
        return {
          ...await inner.call(request),
          usage: {
            input_tokens: bytes,
            output_tokens: max - 24,
            cache_read_tokens: null,
            cache_write_tokens: null,
          },
        };
      },
    };
  };
  // About two calls' reservations a minute across both workers.
  const LIMIT = 8000;
  await Promise.all(workers.map((worker, i) =>
    runWorker(store, runs[0]!.id, {
      workerId: worker,
      concurrency: 1,
      batch: 2,
      cache: "off",
      rateLimits: { fake: { tokensPerMinute: LIMIT } },
      rateLimitClock: clockOf(worker),
      adapterFor: adapters(worker, i),
    })
  ));
  assert.equal(sent.length, 12);
  assert.deepEqual(unheld, [], "calls sent without their tokens held");
  for (const w of workers) {
    assert.ok(sent.some((s) => s.worker === w), `${w} called`);
  }
  // Settled to the provider's usage: the reservations still in the store
  // (those of the last two minutes; older ones are cleared as the window
  // moves) hold what their calls used, none its estimate.
  const held = await store.db.selectFrom("rate_usage")
    .select(["at_ms", "tokens"]).where("key", "=", "tpm:fake").execute();
  assert.ok(held.length >= 2);
  const settled = sent.map((s) => `${s.at}:${s.usage}`);
  for (const row of held) {
    const i = settled.indexOf(`${Number(row.at_ms)}:${row.tokens}`);
    assert.ok(i >= 0, `unsettled: ${row.tokens} tokens at ${row.at_ms}`);
    settled.splice(i, 1);
  }
  // The receipts hold the same usage.
  const receipts = await store.db.selectFrom("model_io")
    .select(["input_tokens", "output_tokens"])
    .where("run_id", "=", runs[0]!.id).execute();
  assert.deepEqual(
    receipts.map((r) => Number(r.input_tokens) + Number(r.output_tokens))
      .toSorted(),
    sent.map((s) => s.usage).toSorted(),
  );
  // No minute of the shared clock held more than the limit across both
  // workers (each alone would have let through the limit's worth).
  for (const end of sent) {
    const minute = sent.filter((s) => s.at > end.at - 60_000 && s.at <= end.at)
      .reduce((sum, s) => sum + s.usage, 0);
    assert.ok(minute <= LIMIT, `${minute} tokens in the minute to ${end.at}`);
  }
  // The workers waited for room, each until a reservation left the minute,
  // and so took the minutes the limit needs.
  assert.ok(wakes.length > 0, "the workers waited for room");
  for (const wake of wakes) {
    assert.ok(
      sent.some((s) => s.at === wake - 60_000),
      `woke at ${wake}, when no reservation left the minute`,
    );
  }
  const total = sent.reduce((sum, s) => sum + s.usage, 0);
  const last = Math.max(...sent.map((s) => s.at));
  assert.ok(
    last >= (Math.ceil(total / LIMIT) - 1) * 60_000,
    `${total} tokens by ${last} ms`,
  );
});

eachStore.test("a worker SIGKILLed mid-run: its cells are taken over, every cell once, no committed call sent again", async ({ databaseUrl }) => {
  const url = await databaseUrl();
  const dir = await Deno.makeTempDir();
  try {
    await using store = await open(url);
    await loadCatalog(store, { root: ROOT });
    const { runs } = await planRuns(store, {
      task: "resume_matching",
      prompts: ["v3"],
      models: ["fake-fast"],
      repetitions: 4,
    });
    const runId = runs[0]!.id;
    const spawn = (n: number) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN_NET,
          new URL("./testdata/worker_child.ts", import.meta.url).pathname,
          url,
          runId,
          `w${n}`,
          `${dir}/calls_w${n}.log`,
          "60",
          // Leases of 10 minutes: no live worker loses its cells to the
          // clock, however loaded the machine (a lease that ran out under a
          // worker still at work made its cells be called twice). w0's run
          // out when this test says so, once it is dead.
          "600000",
          // w0 stops answering after 6 calls, holding the cells it claimed.
          ...(n === 0 ? ["6"] : []),
        ],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    const children = [0, 1, 2].map(spawn);
    // Kill w0 once every worker is at work and w0 has committed some cells
    // and holds others (which it will not finish: it hangs).
    const held = async () =>
      await store.db.selectFrom("run_cells")
        .select(["worker", "done", "case_key", "repetition"])
        .where("run_id", "=", runId).where("worker", "is not", null)
        .execute();
    let before: Awaited<ReturnType<typeof held>> = [];
    // However long the workers take to start on a loaded machine: w0 hangs
    // holding cells, so this comes.
    for (let i = 0; i < 3000; i++) {
      before = await held();
      const workers = new Set(before.map((r) => r.worker));
      const w0 = before.filter((r) => r.worker === "w0");
      if (
        workers.size === 3 && w0.some((r) => r.done === 1) &&
        w0.some((r) => r.done === 0)
      ) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    children[0]!.kill("SIGKILL");
    assert.equal((await children[0]!.status).signal, "SIGKILL");
    await children[0]!.stdout.cancel();
    await children[0]!.stderr.cancel();
    // What was committed when w0 died (read after it died: nothing of its
    // can land later), and what it held without committing.
    const atKill = await held();
    const committed = new Set(
      atKill.filter((r) => r.done === 1).map((r) =>
        `${r.case_key}#${r.repetition}`
      ),
    );
    const orphaned = atKill.filter((r) => r.worker === "w0" && r.done === 0)
      .map((r) => `${r.case_key}#${r.repetition}`);
    assert.ok(orphaned.length > 0, "w0 held cells when it was killed");
    // Time passes for the dead worker's leases: they run out now.
    await store.db.updateTable("run_cells").set({ lease_until: 0 })
      .where("run_id", "=", runId).where("worker", "=", "w0")
      .where("done", "=", 0).execute();

    const summaries: WorkerSummary[] = [];
    for (const child of children.slice(1)) {
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      summaries.push(JSON.parse(new TextDecoder().decode(out.stdout)));
    }
    const run = await getRun(store, runId);
    assert.equal(run.status, "completed");
    assert.deepEqual(await cellCounts(store, runId), { rows: 120, cells: 120 });
    await assertClosedOnce(store, runId);
    assert.equal(summaries.filter((s) => s.closed_run).length, 1);
    assert.ok(
      summaries.reduce((sum, s) => sum + s.taken_over, 0) >= orphaned.length,
      "the survivors took w0's cells over",
    );
    // No call was sent twice for a cell, except the cells w0 held when it
    // died (called by w0, then by the worker that took them over); and no
    // cell committed before the kill was called again.
    const calls = new Map<string, number>();
    const by = new Map<string, string[]>();
    for (const n of [0, 1, 2]) {
      const log = await Deno.readTextFile(`${dir}/calls_w${n}.log`)
        .catch(() => "");
      for (const line of log.split("\n").filter(Boolean)) {
        const cell = line.replace(/#(generate|judge)$/, "");
        calls.set(cell, (calls.get(cell) ?? 0) + 1);
        by.set(cell, [...by.get(cell) ?? [], `w${n}`]);
      }
    }
    assert.equal(calls.size, 120);
    // Every call sent is receipted or counted unreceipted on the run: w0's
    // journal (left by the kill; a server store's count, committed before
    // each send) is counted by the worker that closes the run.
    const sent = [...calls.values()].reduce((a, b) => a + b, 0);
    const receipted = (await store.db.selectFrom("model_io").select("attempts")
      .where("run_id", "=", runId).where("cached_from", "is", null).execute())
      .reduce((sum, r) => sum + Number(r.attempts), 0);
    assert.ok(sent > receipted, "w0 died with calls in flight");
    assert.equal(run.unreceipted_calls, sent - receipted);
    const events = await listTraceEvents(store, run.trace_id);
    assert.equal(
      events.find((e) => e.type === "run_finished")!.data.unreceipted_calls,
      sent - receipted,
    );
    assert.equal(
      events.find((e) => e.type === "calls_unreceipted")!.data.calls,
      sent - receipted,
    );
    for (const [cell, count] of calls) {
      if (count > 1) {
        assert.ok(
          orphaned.includes(cell),
          `${cell} was called ${count} times by ${
            by.get(cell)
          }; w0 held ${orphaned}; ${JSON.stringify(summaries)}`,
        );
        assert.ok(!committed.has(cell));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
