/**
 * Benchmark part 4, the run that dies: an experiment on the fake provider
 * (zero latency, fake judge on) that kills its own process with SIGKILL as
 * soon as half of its cells are committed, as a crash would.
 *
 * Usage: _bench_resume_child.ts <catalog dir> <database file>
 *
 * @module
 */
import { loadCatalog } from "../lib/catalog/load_catalog.ts";
import { experiment } from "../lib/experiment/experiment.ts";
import { open } from "../lib/store/open.ts";
import { BENCH_TASK } from "./_bench_catalog.ts";

const [catalog, database] = Deno.args;
if (!catalog || !database) {
  throw new TypeError(
    "Usage: _bench_resume_child.ts <catalog dir> <database file>",
  );
}
const store = await open(`file:${database}`);
await loadCatalog(store, { root: catalog });
let total = 0;
await experiment(store, {
  task: BENCH_TASK,
  prompts: ["v3"],
  models: ["fake-fast"],
  judge: "fake-judge",
  repetitions: 3,
  progress: {
    start: (_label, cells) => (total = cells),
    update: ({ done }) => {
      if (done * 2 >= total) Deno.kill(Deno.pid, "SIGKILL");
    },
    stop: () => {},
  },
});
