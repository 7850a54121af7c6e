// A child process for pipeline_test.ts: runs a pipeline experiment whose
// adapter takes 20 ms a call, and answers only its first HANG_AFTER calls:
// every later one hangs, so the run stops mid-way, with calls in flight,
// however slow the machine, until the parent SIGKILLs it.
import { experiment } from "../experiment.ts";
import { createAdapter } from "../../providers/create_adapter.ts";
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";
import { supportV1 } from "./two_step_pipeline.ts";

const [url, root, hangAfter] = Deno.args;
let calls = 0;
const store = await open(url!);
await loadCatalog(store, { root: root! });
await experiment(store, {
  task: "support_triage",
  pipeline: supportV1,
  judge: "fake-judge",
  concurrency: 2,
  adapterFor: (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request) {
        if (++calls > Number(hangAfter)) {
          // A timer keeps the process alive until it is killed.
          await new Promise((r) => setTimeout(r, 3_600_000));
        }
        await new Promise((r) => setTimeout(r, 20));
        return await inner.call(request);
      },
    };
  },
});
await store.close();
