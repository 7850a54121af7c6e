// A child process for pipeline_test.ts: runs a pipeline experiment whose
// adapter takes 20 ms a call, so the parent can SIGKILL it mid-run.
import { experiment } from "../experiment.ts";
import { createAdapter } from "../../providers/create_adapter.ts";
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";
import { supportV1 } from "./two_step_pipeline.ts";

const [url, root] = Deno.args;
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
        await new Promise((r) => setTimeout(r, 20));
        return await inner.call(request);
      },
    };
  },
});
await store.close();
