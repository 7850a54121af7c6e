/**
 * Benchmark parts 2 and 3: runs with a provider whose every call takes
 * exactly 100 ms (the fake provider's answers, computed in an untimed first
 * pass, returned after one 100 ms timer), no judge, into a fresh file
 * database, and compares the wall time with the ideal
 * `calls x latency / concurrency` (part 2), or the achieved request rate
 * with a requests-per-minute limit (part 3).
 *
 * Usage: _bench_latency.ts <catalog dir> <database file> <concurrency> [requests per minute]
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { experiment } from "../lib/experiment/experiment.ts";
import { open } from "../lib/store/open.ts";
import { BENCH_TASK, LATENCY_MODEL, LATENCY_MS } from "./_bench_catalog.ts";
import { delayedAdapters, report, round, tally } from "./_bench_util.ts";

const [catalog, database, concurrencyArg, rpmArg] = Deno.args;
if (!catalog || !database || !concurrencyArg) {
  throw new TypeError(
    "Usage: _bench_latency.ts <catalog dir> <database file> <concurrency> [requests per minute]",
  );
}
const concurrency = Number(concurrencyArg);
const rpm = rpmArg === undefined ? undefined : Number(rpmArg);
const seen = tally();
const adapters = delayedAdapters(seen, LATENCY_MS);
const base = {
  task: BENCH_TASK,
  prompts: ["v3"],
  models: [LATENCY_MODEL],
  repetitions: 3,
} as const;
{
  // The untimed first pass: the fake's answers, into a scratch database.
  await using scratch = await open(":memory:");
  await loadCatalog(scratch, { root: catalog });
  await experiment(scratch, {
    ...base,
    prompts: [...base.prompts],
    models: [...base.models],
    cache: "off",
    adapterFor: adapters.warm,
  });
}
const store = await open(`file:${database}`);
await loadCatalog(store, { root: catalog });

const marks = { start: NaN, stop: NaN };
const started = performance.now();
const result = await experiment(store, {
  ...base,
  prompts: [...base.prompts],
  models: [...base.models],
  concurrency,
  ...(rpm === undefined
    ? {}
    : { rateLimits: { fake: { requestsPerMinute: rpm } } }),
  adapterFor: adapters.adapterFor,
  progress: {
    start: () => (marks.start = performance.now()),
    update: () => {},
    stop: () => (marks.stop = performance.now()),
  },
});
const wallMs = performance.now() - started;
await store.close();

const run = result.runs[0]!;
const calls = seen.calls;
const ideal = (calls * LATENCY_MS) / concurrency;
// Timers fire a little late, so the simulated provider's real latency is a
// little over 100 ms: the ideal for the latency it actually had.
const actualLatency = seen.latencies.reduce((a, b) => a + b, 0) / calls;
const actualIdeal = (calls * actualLatency) / concurrency;
// Calls come in whole rounds: 900 calls 32 at a time take 29 rounds, not 28.125.
const rounds = Math.ceil(calls / concurrency);
const wholeRoundsIdeal = rounds * LATENCY_MS;
const roundsIdeal = rounds * actualLatency;
const figures: Record<string, unknown> = {
  part: rpm === undefined ? `concurrency_${concurrency}` : "rate_limit",
  status: run.status,
  cells: run.cells,
  model_calls: calls,
  concurrency,
  latency_ms: LATENCY_MS,
  wall_ms: round(wallMs, 1),
  cells_phase_ms: round(marks.stop - marks.start, 1),
  ideal_ms: round(ideal, 1),
  ratio_to_ideal: round(wallMs / ideal, 3),
  cells_phase_ratio_to_ideal: round((marks.stop - marks.start) / ideal, 3),
  actual_latency_ms: round(actualLatency, 2),
  ratio_to_actual_ideal: round(wallMs / actualIdeal, 3),
  whole_rounds_ideal_ms: round(wholeRoundsIdeal, 1),
  ratio_to_whole_rounds_ideal: round(wallMs / wholeRoundsIdeal, 3),
  rounds_ideal_ms: round(roundsIdeal, 1),
  ratio_to_rounds_ideal: round(wallMs / roundsIdeal, 3),
};
if (rpm !== undefined) {
  const starts = [...seen.starts].sort((a, b) => a - b);
  const span = starts.at(-1)! - starts[0]!;
  // The most calls started in any one second (the limit allows rpm / 60).
  let busiest = 0;
  let j = 0;
  for (let i = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= 1000) j++;
    busiest = Math.max(busiest, i - j + 1);
  }
  const achieved = ((starts.length - 1) / span) * 60_000;
  let minGap = Infinity;
  for (let i = 1; i < starts.length; i++) {
    minGap = Math.min(minGap, starts[i]! - starts[i - 1]!);
  }
  Object.assign(figures, {
    limit_rpm: rpm,
    achieved_rpm: round(achieved, 1),
    achieved_to_limit: round(achieved / rpm, 4),
    wall_rpm: round((calls / wallMs) * 60_000, 1),
    busiest_second_calls: busiest,
    mean_gap_ms: round(span / (starts.length - 1), 2),
    min_gap_ms: round(minGap, 2),
    allowed_per_second: rpm / 60,
  });
}
report(figures);
