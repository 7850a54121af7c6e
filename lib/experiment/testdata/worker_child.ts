// A worker process for run_worker_test.ts: works on a run through the shared
// store with an adapter that takes LATENCY ms a call, appending each call it
// makes ("case#repetition#purpose") to LOG, then prints its summary as JSON.
// With HANG_AFTER, every call after that many never returns (a worker that
// is killed while it holds cells).
import { createAdapter } from "../../providers/create_adapter.ts";
import { open } from "../../store/open.ts";
import { runWorker } from "../run_worker.ts";

const [url, runId, workerId, log, latency, leaseMs, hangAfter] = Deno.args;
let calls = 0;
const store = await open(url!);
const summary = await runWorker(store, runId!, {
  workerId: workerId!,
  concurrency: 2,
  batch: 4,
  leaseMs: Number(leaseMs),
  pollMs: 100,
  adapterFor: (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request) {
        const purpose = request.hints?.judged_output === undefined
          ? "generate"
          : "judge";
        Deno.writeTextFileSync(
          log!,
          `${request.hints?.case_id}#${request.repetition}#${purpose}\n`,
          { append: true },
        );
        if (hangAfter !== undefined && ++calls > Number(hangAfter)) {
          await new Promise(() => {});
        }
        await new Promise((r) => setTimeout(r, Number(latency)));
        return await inner.call(request);
      },
    };
  },
});
await store.close();
// deno-lint-ignore no-console
console.log(JSON.stringify(summary));
