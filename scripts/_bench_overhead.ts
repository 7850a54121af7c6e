/**
 * Benchmark part 1: toolkit overhead. Runs the whole experiment path on the
 * fake provider with zero latency (the fake answers at once; nothing waits
 * for its simulated latency), checks and the fake judge on, into a file
 * database. Run as its own process so its peak RSS is its own.
 *
 * Usage: _bench_overhead.ts <catalog dir> <database file> <label>
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { experiment } from "../lib/experiment/experiment.ts";
import { open } from "../lib/store/open.ts";
import { BENCH_TASK } from "./_bench_catalog.ts";
import {
  countingAdapters,
  cpuTime,
  databaseUrl,
  report,
  round,
  tally,
} from "./_bench_util.ts";

const [catalog, database, label = "overhead"] = Deno.args;
if (!catalog || !database) {
  throw new TypeError(
    "Usage: _bench_overhead.ts <catalog dir> <database file> <label>",
  );
}
const store = await open(databaseUrl(database));
const loadStarted = performance.now();
await loadCatalog(store, { root: catalog });
const loadMs = performance.now() - loadStarted;

const seen = tally();
const marks = { start: NaN, stop: NaN };
const cpuBefore = cpuTime();
const started = performance.now();
const result = await experiment(store, {
  task: BENCH_TASK,
  prompts: ["v3"],
  models: ["fake-fast"],
  judge: "fake-judge",
  repetitions: 3,
  adapterFor: countingAdapters(seen),
  progress: {
    start: () => (marks.start = performance.now()),
    update: () => {},
    stop: () => (marks.stop = performance.now()),
  },
});
const wallMs = performance.now() - started;
const cpuAfter = cpuTime();
await store.close();

const run = result.runs[0]!;
const calls = run.adapter_calls + run.cache_hits;
const toolkitMs = wallMs - seen.adapterMs;
report({
  part: label,
  run_id: run.run_id,
  status: run.status,
  cells: run.cells,
  model_calls: calls,
  adapter_calls: run.adapter_calls,
  cache_hits: run.cache_hits,
  catalog_load_ms: round(loadMs, 1),
  wall_ms: round(wallMs, 1),
  plan_ms: round(marks.start - started, 1),
  cells_ms: round(marks.stop - marks.start, 1),
  finish_ms: round(started + wallMs - marks.stop, 1),
  fake_provider_ms: round(seen.adapterMs, 1),
  toolkit_ms: round(toolkitMs, 1),
  cells_per_second: round(run.cells / (wallMs / 1000), 0),
  toolkit_cells_per_second: round(run.cells / (toolkitMs / 1000), 0),
  toolkit_us_per_call: round((toolkitMs * 1000) / calls, 1),
  process_cpu_ms: round(cpuAfter - cpuBefore, 0),
});
