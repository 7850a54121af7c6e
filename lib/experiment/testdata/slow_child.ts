// A child process for experiment_test.ts: runs an experiment whose adapter
// takes 25 ms a call, so the parent can SIGKILL it mid-run.
import { experiment } from "../experiment.ts";
import { createAdapter } from "../../providers/create_adapter.ts";
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";

const [url, root] = Deno.args;
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
        await new Promise((r) => setTimeout(r, 25));
        return await inner.call(request);
      },
    };
  },
});
await store.close();
