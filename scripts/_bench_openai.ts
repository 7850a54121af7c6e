/**
 * Benchmark part 10: the real OpenAI adapter (the `openai` SDK, HTTP over
 * loopback) against a stub of the Chat Completions API running in its own
 * process (`_bench_openai_stub.ts`), answering at once or after a fixed
 * latency. The shipped `gpt-4o-mini` model config, pointed at the stub with
 * a throwaway key; no judge (one call per cell), 3 repetitions, into a fresh
 * file database. Calls per second are over the `experiment()` call's wall
 * time, and over the whole process (start-up, catalog load and close
 * included); with a latency, both times are also given against the ideal
 * `calls x latency / concurrency`.
 *
 * Usage: _bench_openai.ts <catalog dir> <database file> <concurrency> [latency ms]
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { experiment } from "../lib/experiment/experiment.ts";
import { createAdapter } from "../lib/providers/create_adapter.ts";
import { open } from "../lib/store/open.ts";
import { BENCH_TASK } from "./_bench_catalog.ts";
import { cpuTime, report, round } from "./_bench_util.ts";

/** The shipped OpenAI model config the part runs (models.yaml). */
const MODEL = "gpt-4o-mini";

const [catalog, database, concurrencyArg, latencyArg = "0"] = Deno.args;
if (!catalog || !database || !concurrencyArg) {
  throw new TypeError(
    "Usage: _bench_openai.ts <catalog dir> <database file> <concurrency> [latency ms]",
  );
}
// Process start to now: Deno's start-up and this module's imports.
const startupMs = performance.now();
const concurrency = Number(concurrencyArg);
const latencyMs = Number(latencyArg);
const stubProcess = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-net=127.0.0.1",
    new URL("./_bench_openai_stub.ts", import.meta.url).pathname,
    String(latencyMs),
  ],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = stubProcess.stdout.pipeThrough(new TextDecoderStream())
  .getReader();
let first = "";
while (!first.includes("\n")) {
  const { value, done } = await lines.read();
  if (done) throw new Error("The OpenAI stub exited before printing its URL");
  first += value;
}
const baseUrl = first.split("\n")[0]!.trim();
// The stub prints nothing more.
await lines.cancel();

const store = await open(`file:${database}`);
await loadCatalog(store, { root: catalog });
const key = "sk-bench-not-a-real-key-0000000000";
let calls = 0;
const cpuBefore = cpuTime();
const started = performance.now();
const result = await experiment(store, {
  task: BENCH_TASK,
  prompts: ["v3"],
  models: [MODEL],
  repetitions: 3,
  concurrency,
  secrets: [key],
  adapterFor: (config) => {
    const inner = createAdapter({ ...config, base_url: baseUrl }, {
      env: (name) => name === config.api_key_env ? key : undefined,
    });
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        calls++;
        return inner.call(request);
      },
    };
  },
});
const wallMs = performance.now() - started;
const cpuMs = cpuTime() - cpuBefore;
await store.close();
await stubProcess.stdin.close();
await stubProcess.status;
const processMs = performance.now();

const run = result.runs[0]!;
const idealMs = (calls * latencyMs) / concurrency;
report({
  part: `openai_concurrency_${concurrency}_latency_${latencyMs}`,
  status: run.status,
  cells: run.cells,
  model_calls: calls,
  failures: run.failures,
  concurrency,
  latency_ms: latencyMs,
  startup_ms: round(startupMs, 1),
  wall_ms: round(wallMs, 1),
  process_ms: round(processMs, 1),
  calls_per_second: round(calls / (wallMs / 1000), 0),
  process_calls_per_second: round(calls / (processMs / 1000), 0),
  us_per_call: round((wallMs * 1000) / calls, 1),
  cpu_ms: round(cpuMs, 0),
  ...(latencyMs > 0
    ? {
      ideal_ms: round(idealMs, 1),
      ratio_to_ideal: round(wallMs / idealMs, 3),
      process_ratio_to_ideal: round(processMs / idealMs, 3),
    }
    : {}),
});
