import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { open, type Store } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import { latestScorecard } from "../store/scores.ts";
import { eachStore } from "../store/test_stores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { verifyChain } from "../trace/event.ts";
import { planRuns } from "./plan_runs.ts";
import { runWorker, type WorkerSummary } from "./run_worker.ts";

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

/** Adapters that record the start time of every call. */
function timed(starts: number[]): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        starts.push(performance.now());
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
  const starts: number[] = [];
  // 1,200 requests per minute: one every 50 ms across both workers, whose
  // own concurrency would allow 8 at once.
  await Promise.all([1, 2].map((n) =>
    runWorker(store, runs[0]!.id, {
      workerId: `w${n}`,
      concurrency: 4,
      batch: 4,
      cache: "off",
      rateLimits: { fake: { requestsPerMinute: 1200 } },
      adapterFor: timed(starts),
    })
  ));
  assert.equal(starts.length, 12);
  const sorted = starts.toSorted((a, b) => a - b);
  // Slots are reserved 50 ms apart on the database's clock; each call
  // starts when its timer fires after its reservation's round trip, so two
  // starts can come closer by that jitter, but they never bunch up: at most
  // 3 in any 100 ms (the limit allows 2), and 12 calls span 11 slots.
  let busiest = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 100) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  assert.ok(busiest <= 3, `${busiest} calls started within 100 ms`);
  const span = sorted.at(-1)! - sorted[0]!;
  assert.ok(span >= 0.9 * 11 * 50, `12 calls in ${span} ms`);
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
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-ffi",
          "--allow-sys",
          "--allow-net=127.0.0.1",
          new URL("./testdata/worker_child.ts", import.meta.url).pathname,
          url,
          runId,
          `w${n}`,
          `${dir}/calls_w${n}.log`,
          "60",
          // Leases of 4 s, renewed every 1.3 s: long enough that a live
          // worker on a loaded machine keeps its cells, short enough that
          // w0's are taken over soon after it dies.
          "4000",
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
    for (let i = 0; i < 600; i++) {
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
