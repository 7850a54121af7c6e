/**
 * Benchmark part 8: workers on one run through a PostgreSQL store. Loads
 * the catalog into the given (empty) database, plans one run (no judge; one
 * call per cell), starts N worker processes, each computing the fake's
 * answers in an untimed first pass, then lets them go at once: every call
 * takes 100 ms, each worker runs 8 calls at a time. Wall time is from the
 * start signal to the last worker's end (the run scored); ideal is
 * `cells x 100 ms / (8 x N)`.
 *
 * Usage: _bench_workers.ts <catalog dir> <database url> <workers> <cells> [concurrency]
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { planRuns } from "../lib/experiment/plan_runs.ts";
import { open } from "../lib/store/open.ts";
import { countResults } from "../lib/store/scores.ts";
import { getRun } from "../lib/store/runs.ts";
import { BENCH_TASK, LATENCY_MODEL, LATENCY_MS } from "./_bench_catalog.ts";
import { report, round } from "./_bench_util.ts";
import { DENO_RUN_NET } from "../lib/_deno_run.ts";

const [catalog, url, workersArg, cellsArg, concurrencyArg = "8"] = Deno.args;
if (!catalog || !url || !workersArg || !cellsArg) {
  throw new TypeError(
    "Usage: _bench_workers.ts <catalog dir> <database url> <workers> <cells> [concurrency]",
  );
}
const workers = Number(workersArg);
const concurrency = Number(concurrencyArg);
const repetitions = 4;
const store = await open(url);
await loadCatalog(store, { root: catalog });
const cases = Number(cellsArg) / repetitions;
const dataset = await store.db.selectFrom("test_cases").select("case_key")
  .orderBy("position").limit(cases).execute();
const { runs } = await planRuns(store, {
  task: BENCH_TASK,
  prompts: ["v3"],
  models: [LATENCY_MODEL],
  repetitions,
  cases: dataset.map((c) => c.case_key),
});
const runId = runs[0]!.id;

const children = Array.from(
  { length: workers },
  () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN_NET,
        new URL("./_bench_worker_child.ts", import.meta.url).pathname,
        catalog,
        url,
        runId,
        String(concurrency),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
);
const readers = children.map((c) =>
  c.stdout.pipeThrough(new TextDecoderStream()).getReader()
);
const outputs = children.map(() => "");
// Wait until every worker has computed its answers.
await Promise.all(readers.map(async (reader, i) => {
  while (!outputs[i]!.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`worker ${i} ended before it was ready`);
    outputs[i] += value;
  }
}));
const go = Date.now();
const writers = children.map((c) => c.stdin.getWriter());
await Promise.all(
  writers.map((w) => w.write(new TextEncoder().encode("go\n"))),
);
await Promise.all(writers.map((w) => w.close()));
const figures = await Promise.all(readers.map(async (reader, i) => {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    outputs[i] += value;
  }
  const status = await children[i]!.status;
  if (!status.success) {
    const err = await new Response(children[i]!.stderr).text();
    throw new Error(`worker ${i} failed: ${err}`);
  }
  await children[i]!.stderr.cancel();
  return JSON.parse(outputs[i]!.trim().split("\n").at(-1)!) as {
    ended_at_ms: number;
    committed: number;
    model_calls: number;
    closed_run: boolean;
    mean_latency_ms: number;
    cpu_ms: number;
    commits: number;
    commit_ms: number;
  };
}));
const wallMs = Math.max(...figures.map((f) => f.ended_at_ms)) - go;
const run = await getRun(store, runId);
const results = await countResults(store, runId);
await store.close();
const cells = Number(cellsArg);
const ideal = (cells * LATENCY_MS) / (concurrency * workers);
report({
  part: `workers_${workers}`,
  workers,
  concurrency_per_worker: concurrency,
  cells,
  run_status: run.status,
  results,
  committed_per_worker: figures.map((f) => f.committed),
  model_calls: figures.reduce((a, f) => a + f.model_calls, 0),
  closed_by_one: figures.filter((f) => f.closed_run).length === 1,
  worker_cpu_ms: figures.map((f) => f.cpu_ms),
  worker_commits: figures.map((f) => f.commits),
  worker_commit_ms: figures.map((f) => f.commit_ms),
  worker_cpu_us_per_cell: round(
    (figures.reduce((a, f) => a + f.cpu_ms, 0) * 1000) / cells,
    0,
  ),
  wall_ms: wallMs,
  ideal_ms: round(ideal, 1),
  ratio_to_ideal: round(wallMs / ideal, 3),
  cells_per_second: round(cells / (wallMs / 1000), 1),
  mean_latency_ms: round(
    figures.reduce((a, f) => a + f.mean_latency_ms * f.model_calls, 0) /
      figures.reduce((a, f) => a + f.model_calls, 0),
    2,
  ),
});
