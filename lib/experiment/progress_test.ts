import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { open } from "../store/open.ts";
import { experiment } from "./experiment.ts";
import {
  defaultProgress,
  jupyterProgress,
  lineProgress,
  type ProgressUpdate,
  SILENT_PROGRESS,
} from "./progress.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

interface Sent {
  type: string;
  text: string;
  displayId: unknown;
}

/** A stand-in for `Deno.jupyter` that records what the kernel would send. */
function kernel(returns: () => unknown = () => undefined) {
  const sent: Sent[] = [];
  return {
    sent,
    api: {
      broadcast(type: string, content: Record<string, unknown>): unknown {
        const data = content.data as Record<string, string>;
        const transient = content.transient as { display_id?: unknown };
        sent.push({
          type,
          text: data["text/plain"] ?? "",
          displayId: transient.display_id,
        });
        return returns();
      },
    },
  };
}

function update(done: number, extra: Partial<ProgressUpdate> = {}) {
  return {
    label: "v1 x fake-fast",
    done,
    total: 4,
    calls: done * 2,
    cached: 0,
    cost: "0.0012",
    errors: 0,
    ...extra,
  };
}

Deno.test("jupyterProgress() shows one display per run and updates it in place", () => {
  let clock = 1_000;
  const { sent, api } = kernel();
  const progress = jupyterProgress(api, { intervalMs: 100, now: () => clock });
  progress.start("v1 x fake-fast", 4);
  clock += 50;
  progress.update(update(1)); // within the interval: not sent
  clock += 100;
  progress.update(update(2, { errors: 1 }));
  clock += 1_050;
  progress.stop(update(4, { errors: 1, cached: 2 }));
  progress.start("v2 x fake-fast", 4);

  assert.deepEqual(sent.map((m) => m.type), [
    "display_data",
    "update_display_data",
    "update_display_data",
    "display_data",
  ]);
  const [first, second, last, next] = sent;
  assert.match(String(first!.displayId), /^wb-progress-/);
  assert.equal(second!.displayId, first!.displayId);
  assert.equal(last!.displayId, first!.displayId);
  assert.notEqual(next!.displayId, first!.displayId);
  // Calls, cost, errors and the time left, from the elapsed time on the clock.
  assert.equal(
    second!.text,
    "v1 x fake-fast: 2/4 cells, 4 calls, cost $0.001200, 1 errors, ETA 0s",
  );
  assert.equal(
    last!.text,
    "v1 x fake-fast: 4/4 cells, 8 calls (+2 cached), cost $0.001200, 1 errors, done in 1.2s",
  );
});

Deno.test("jupyterProgress() estimates the time left from the cells done", () => {
  let clock = 0;
  const { sent, api } = kernel();
  const progress = jupyterProgress(api, { intervalMs: 0, now: () => clock });
  progress.start("run", 4);
  clock = 3_000;
  progress.update(update(1));
  assert.match(sent.at(-1)!.text, /1\/4 cells, .*ETA 9s$/);
});

Deno.test("jupyterProgress() survives a kernel whose broadcast returns undefined, rejects or throws", async () => {
  for (
    const returns of [
      () => undefined,
      () => Promise.reject(new Error("closed")),
      () => {
        throw new Error("no channel");
      },
    ]
  ) {
    const { sent, api } = kernel(returns);
    const progress = jupyterProgress(api, { intervalMs: 0 });
    progress.start("run", 1);
    progress.update(update(1));
    progress.stop(update(1));
    assert.equal(sent.length, 3);
  }
  // A rejected promise left unhandled would fail this test at the next tick.
  await new Promise((resolve) => setTimeout(resolve, 0));
});

Deno.test("lineProgress() says cells and calls apart, as wb experiment's table does", () => {
  const lines: string[] = [];
  const progress = lineProgress((l) => void lines.push(l), 0);
  progress.start("v1 x fake-fast", 4);
  progress.stop(update(4, { calls: 7, cached: 1 }));
  assert.equal(lines[0], "v1 x fake-fast: 4 cells to run");
  assert.match(
    lines[1]!,
    /^v1 x fake-fast: 4\/4 cells, 7 calls \(\+1 cached\), cost \$0\.001200, 0 errors, done in \d+\.\ds$/,
  );
});

Deno.test("jupyterProgress() without a kernel says so", () => {
  assert.throws(
    () => jupyterProgress(),
    (error: unknown) =>
      error instanceof TypeError &&
      /does not run in the Deno Jupyter kernel/.test(error.message),
  );
});

Deno.test("defaultProgress() is silent outside a notebook", () => {
  assert.equal(defaultProgress(), SILENT_PROGRESS);
});

Deno.test("experiment() progress counts the cells and calls its summary counts", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const { sent, api } = kernel();
  const options = {
    task: "support_triage",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    repetitions: 3,
    cases: ["st-001", "st-002"],
  };
  const first = await experiment(store, {
    ...options,
    progress: jupyterProgress(api, { intervalMs: 0 }),
  });
  const run = first.runs[0]!;
  // 2 cases x 3 repetitions; each cell a generation call and, when its
  // output is judged, a judge call: more calls than cells, as the table says.
  assert.equal(run.cells, 6);
  assert.ok(run.adapter_calls > run.cells);
  const cached = run.cache_hits > 0 ? ` (+${run.cache_hits} cached)` : "";
  assert.match(
    sent.at(-1)!.text,
    new RegExp(
      `: 6/6 cells, ${run.adapter_calls} calls${
        cached.replace(/[()+]/g, "\\$&")
      }, cost \\$${
        Number(run.cost).toFixed(6).replace(".", "\\.")
      }, ${run.failures} errors, done in`,
    ),
  );

  // Again: every call is a cache hit, and the display says so.
  const second = await experiment(store, {
    ...options,
    progress: jupyterProgress(api, { intervalMs: 0 }),
  });
  const again = second.runs[0]!;
  assert.equal(again.adapter_calls, 0);
  assert.equal(again.cache_hits, run.adapter_calls + run.cache_hits);
  assert.match(
    sent.at(-1)!.text,
    new RegExp(`: 6/6 cells, 0 calls \\(\\+${again.cache_hits} cached\\), `),
  );
});
