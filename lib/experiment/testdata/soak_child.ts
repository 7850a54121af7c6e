// A child process for soak_test.ts: starts (or resumes) an experiment whose
// models answer from a local OpenAI wire stub. The adapter wrapper sends each
// call's repetition as the request's `seed`, so the stub can tell the cells
// apart; the runner, its receipts and its accounting are the toolkit's own.
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { createAdapter } from "../../providers/create_adapter.ts";
import type { ModelConfig } from "../../schema/model.ts";
import { open } from "../../store/open.ts";
import { experiment, resumeExperiment } from "../experiment.ts";

const [url, root, mode, id] = Deno.args;
const store = await open(url!);
const adapterFor = (config: ModelConfig) => {
  const inner = createAdapter(config);
  return {
    provider: inner.provider,
    model: inner.model,
    call: (request: Parameters<typeof inner.call>[0]) =>
      inner.call({
        ...request,
        params: { ...request.params, seed: request.repetition ?? 0 },
      }),
  };
};
if (mode === "start") {
  await loadCatalog(store, { root: root! });
  await experiment(store, {
    task: "support_triage",
    prompts: ["v1", "v3"],
    models: ["stub-a", "stub-b"],
    concurrency: 4,
    retry: { baseDelayMs: 2, maxDelayMs: 20 },
    adapterFor,
  });
} else {
  await resumeExperiment(store, id!, { adapterFor });
}
await store.close();
