// A child process for experiment_test.ts: runs a judged experiment on a
// file database with the cells written by the writer thread
// (WB_WRITER_THREAD=on in its environment).
import { experiment } from "../experiment.ts";
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";

const [url, root] = Deno.args;
const store = await open(url!);
await loadCatalog(store, { root: root! });
for (let i = 0; i < 2; i++) {
  // The second run is served from the cache the first one wrote.
  await experiment(store, {
    task: "resume_matching",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["rm-001", "rm-002", "rm-019", "rm-028"],
  });
}
await store.close();
