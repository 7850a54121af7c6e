/**
 * A worker process of the benchmark's workers part: computes the fake's
 * answers for the run in an untimed first pass (as part 2 does), prints
 * `ready`, waits for a line on stdin, then works on the run with a provider
 * whose every call takes 100 ms, and prints its figures as JSON.
 *
 * Usage: _bench_worker_child.ts <catalog dir> <database url> <run id> <concurrency>
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { experiment } from "../lib/experiment/experiment.ts";
import { runWorker } from "../lib/experiment/run_worker.ts";
import { open } from "../lib/store/open.ts";
import { BENCH_TASK, LATENCY_MODEL, LATENCY_MS } from "./_bench_catalog.ts";
import {
  cpuTime,
  delayedAdapters,
  report,
  round,
  tally,
} from "./_bench_util.ts";

const [catalog, url, runId, concurrencyArg] = Deno.args;
if (!catalog || !url || !runId || !concurrencyArg) {
  throw new TypeError(
    "Usage: _bench_worker_child.ts <catalog dir> <database url> <run id> <concurrency>",
  );
}
const seen = tally();
const adapters = delayedAdapters(seen, LATENCY_MS);
const store = await open(url);
const run = await store.db.selectFrom("runs").select("repetitions")
  .where("id", "=", runId).executeTakeFirstOrThrow();
{
  await using scratch = await open(":memory:");
  await loadCatalog(scratch, { root: catalog });
  await experiment(scratch, {
    task: BENCH_TASK,
    prompts: ["v3"],
    models: [LATENCY_MODEL],
    repetitions: run.repetitions,
    cache: "off",
    adapterFor: adapters.warm,
  });
}
// deno-lint-ignore no-console
console.log("ready");
const reader = Deno.stdin.readable.getReader();
await reader.read();
reader.releaseLock();
const started = Date.now();
const cpuBefore = cpuTime();
const summary = await runWorker(store, runId, {
  concurrency: Number(concurrencyArg),
  cache: "off",
  adapterFor: adapters.adapterFor,
});
const ended = Date.now();
const cpuMs = cpuTime() - cpuBefore;
await store.close();
report({
  part: "worker",
  worker_id: summary.worker_id,
  started_at_ms: started,
  ended_at_ms: ended,
  committed: summary.committed,
  model_calls: seen.calls,
  closed_run: summary.closed_run,
  commits: summary.commits,
  commit_ms: summary.commit_ms,
  cpu_ms: round(cpuMs, 0),
  mean_latency_ms: round(
    seen.latencies.reduce((a, b) => a + b, 0) / Math.max(1, seen.calls),
    2,
  ),
});
