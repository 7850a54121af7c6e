// A child process for experiment_test.ts: runs an experiment whose adapter
// takes 25 ms a call, and answers only its first HANG_AFTER calls: every
// later one hangs, so the run stops mid-way, with calls in flight, however
// slow the machine, until the parent SIGKILLs it.
import { experiment } from "../experiment.ts";
import { createAdapter } from "../../providers/create_adapter.ts";
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";

const [url, root, hangAfter] = Deno.args;
let calls = 0;
const store = await open(url!);
await loadCatalog(store, { root: root! });
await experiment(store, {
  task: "resume_matching",
  prompts: ["v3"],
  models: ["fake-fast"],
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
        await new Promise((r) => setTimeout(r, 25));
        return await inner.call(request);
      },
    };
  },
});
await store.close();
