// A child process for experiment_test.ts: runs the NUL outputs experiment
// on a file database (with WB_WRITER_THREAD=on in its environment, through
// the writer thread) and prints what its cells said as JSON.
import { loadCatalog } from "../../catalog/load_catalog.ts";
import { open } from "../../store/open.ts";
import { runNulOutputs } from "./nul_outputs.ts";

const [url, root] = Deno.args;
const store = await open(url!);
await loadCatalog(store, { root: root! });
const outputs = await runNulOutputs(store);
await store.close();
// deno-lint-ignore no-console
console.log(JSON.stringify(outputs));
