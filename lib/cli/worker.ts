import { autoProgress, SILENT_PROGRESS } from "../experiment/progress.ts";
import { runWorker } from "../experiment/run_worker.ts";
import {
  cacheMode,
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  positiveInt,
  printJson,
  required,
  wholeNumber,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb worker`. */
export const workerCommand: Command = {
  ...about("worker"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      run: { type: "string" },
      concurrency: { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      "timeout-ms": { type: "string" },
      retries: { type: "string" },
      cache: { type: "string" },
      "lease-seconds": { type: "string" },
      batch: { type: "string" },
      "worker-id": { type: "string" },
      quiet: { type: "boolean" },
    });
    const runId = required(values.run, "run");
    const cache = cacheMode(values.cache) ?? "use";
    const retries = wholeNumber(values.retries, "retries");
    const rpm = positiveInt(values.rpm, "rpm");
    const tpm = positiveInt(values.tpm, "tpm");
    const timeoutMs = positiveInt(values["timeout-ms"], "timeout-ms");
    const concurrency = positiveInt(values.concurrency, "concurrency");
    const leaseSeconds = positiveInt(values["lease-seconds"], "lease-seconds");
    const batch = positiveInt(values.batch, "batch");
    const limits = rpm || tpm
      ? {
        ...(rpm ? { requestsPerMinute: rpm } : {}),
        ...(tpm ? { tokensPerMinute: tpm } : {}),
      }
      : undefined;
    const controller = new AbortController();
    const onSignal = () => {
      io.err(
        "wb worker: stopping: no new claims; in-flight calls finish; this worker's other cells go back to the others",
      );
      controller.abort();
    };
    Deno.addSignalListener("SIGINT", onSignal);
    await using store = await openFromFlag(values.db);
    try {
      const summary = await runWorker(store, runId, {
        ...(concurrency ? { concurrency } : {}),
        ...(limits
          ? { rateLimits: { anthropic: limits, openai: limits, fake: limits } }
          : {}),
        retry: {
          ...(retries === undefined ? {} : { retries }),
          ...(timeoutMs ? { timeoutMs } : {}),
        },
        cache,
        ...(leaseSeconds ? { leaseMs: leaseSeconds * 1000 } : {}),
        ...(batch ? { batch } : {}),
        ...(values["worker-id"] ? { workerId: values["worker-id"] } : {}),
        signal: controller.signal,
        progress: values.quiet ? SILENT_PROGRESS : autoProgress(),
      });
      const code = summary.run_status === "completed" ? EXIT.ok : EXIT.failed;
      if (values.json) {
        printJson(io, summary);
        return code;
      }
      io.out(
        `worker ${summary.worker_id} on run ${summary.run_id}: committed ${summary.committed} cells (${summary.taken_over} taken over from a worker whose lease ran out, ${summary.lost} lost to another worker), ${summary.adapter_calls} model calls, ${summary.cache_hits} cache hits; run ${summary.run_status}${
          summary.closed_run ? ", scored by this worker" : ""
        }`,
      );
      if (summary.run_status !== "completed") {
        io.out(
          `other workers hold the rest, or resume with: wb worker --run ${summary.run_id}`,
        );
        return EXIT.failed;
      }
      return EXIT.ok;
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  },
};
