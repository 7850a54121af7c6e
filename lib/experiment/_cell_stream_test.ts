import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { ValidationError } from "../errors.ts";
import {
  getDataset,
  getDatasetInfo,
  latestDatasetId,
} from "../store/catalog.ts";
import { open, type Store } from "../store/open.ts";
import { eachStore } from "../store/test_stores.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import { CELL_WINDOW, CellStream } from "./_cell_stream.ts";
import { experiment, resumeExperiment } from "./experiment.ts";
import { extendRun } from "./extend_run.ts";
import { type Cell, pendingCells, selectCases } from "./_plan.ts";

const label = (c: Cell) => `${c.testCase.id}#${c.repetition}`;

async function all(stream: CellStream): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < stream.count; i++) out.push(label(await stream.cell(i)));
  return out;
}

Deno.test("CellStream takes each window once and in order, and checks its size", async () => {
  const cell = (i: number): Cell => ({
    testCase: { id: `c${i}`, slice: "typical", input: {}, expected: {} },
    repetition: 0,
  });
  const cells = Array.from({ length: CELL_WINDOW + 3 }, (_, i) => cell(i));
  const stream = CellStream.of(cells);
  assert.equal(stream.size(1), 3);
  assert.throws(() => stream.take(1), RangeError);
  assert.equal((await stream.take(0)).length, CELL_WINDOW);
  assert.deepEqual((await stream.take(1)).map((c) => c.testCase.id), [
    `c${CELL_WINDOW}`,
    `c${CELL_WINDOW + 1}`,
    `c${CELL_WINDOW + 2}`,
  ]);
  // A source that yields fewer cells than it said is refused, not run short.
  const short = new CellStream(
    2,
    (async function* () {
      yield [cell(0)];
    })(),
  );
  await assert.rejects(short.take(0), RangeError);
});

Deno.test("pendingCells() produces the cells not yet committed, in case then repetition order, from the stored cases", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store);
  const dataset = await getDatasetInfo(
    store,
    await latestDatasetId(store, "resume_matching"),
  );
  const whole = await selectCases(store, dataset, undefined);
  const ids = (await getDataset(store, dataset.id)).cases.map((c) => c.id);
  assert.ok(ids.length >= 4);

  // A run's committed cells: 3 cases once, one of them up to 5 times.
  const { runs } = await experiment(store, {
    task: "resume_matching",
    prompts: ["v1"],
    models: ["fake-fast"],
    cases: [ids[0]!, ids[1]!, ids[2]!],
    repetitions: 1,
    allowFewerRepetitions: true,
  });
  const runId = runs[0]!.run_id;
  await extendRun(store, runId, {
    cells: [{ "case_key": ids[1]!, repetitions: 5 }],
  });
  const done = new Set([
    `${ids[0]}#0`,
    ...[0, 1, 2, 3, 4].map((r) => `${ids[1]}#${r}`),
    `${ids[2]}#0`,
  ]);

  // Every case x 3, less the committed ones (two are past the repetitions).
  const fresh = await pendingCells(store, whole, 3);
  assert.equal(fresh.count, ids.length * 3);
  const stream = await pendingCells(store, whole, 3, runId);
  const expected = ids.flatMap((id) => [0, 1, 2].map((r) => `${id}#${r}`))
    .filter((k) => !done.has(k));
  assert.equal(stream.count, expected.length);
  assert.deepEqual(await all(stream), expected);

  // A subset, in the order given.
  const subset = await selectCases(store, dataset, [ids[3]!, ids[0]!]);
  assert.deepEqual(await all(await pendingCells(store, subset, 2, runId)), [
    `${ids[3]}#0`,
    `${ids[3]}#1`,
    `${ids[0]}#1`,
  ]);

  // Counts per case (extending a run): the run's case order.
  const more = new Map([[ids[2]!, 2], [ids[0]!, 3]]);
  assert.deepEqual(await all(await pendingCells(store, whole, more, runId)), [
    `${ids[0]}#1`,
    `${ids[0]}#2`,
    `${ids[2]}#1`,
  ]);
});

/**
 * A catalog root like the repository's with `resume_matching`'s dataset
 * made `n` cases long (the demo's 30 cases over and over, ids `w-0`,
 * `w-1`, ..., so `n` a multiple of 30 keeps its slice mix), so runs cross
 * the cell window (256) and the case window (500).
 */
async function rootWithCases(n: number): Promise<string> {
  const root = await Deno.makeTempDir();
  const repo = new URL("../../", import.meta.url).pathname;
  await Deno.symlink(`${repo}prompts`, `${root}/prompts`);
  await Deno.copyFile(`${repo}models.yaml`, `${root}/models.yaml`);
  await Deno.mkdir(`${root}/datasets`);
  await Deno.copyFile(
    `${repo}datasets/support_triage.jsonl`,
    `${root}/datasets/support_triage.jsonl`,
  );
  const demo = (await Deno.readTextFile(
    `${repo}datasets/resume_matching.jsonl`,
  )).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  const lines = Array.from(
    { length: n },
    (_, i) => JSON.stringify({ ...demo[i % demo.length], id: `w-${i}` }),
  );
  await Deno.writeTextFile(
    `${root}/datasets/resume_matching.jsonl`,
    `${lines.join("\n")}\n`,
  );
  return root;
}

/** Each committed cell of a run once: `case#repetition`, sorted. */
async function committedOf(store: Store, runId: string): Promise<string[]> {
  const rows = await store.db.selectFrom("results")
    .select(["case_key", "repetition"]).where("run_id", "=", runId).execute();
  return rows.map((r) => `${r.case_key}#${r.repetition}`).sort();
}

function cellsOf(keys: readonly string[], repetitions: number): string[] {
  return keys.flatMap((k) =>
    Array.from({ length: repetitions }, (_, r) => `${k}#${r}`)
  ).sort();
}

eachStore.test("experiment() runs every cell once at the window boundaries: 256 and 257 cells, a subset across windows, a resume, extendRun", async ({ openStore }) => {
  await using store = await openStore();
  const n = 540;
  const root = await rootWithCases(n);
  try {
    await loadCatalog(store, { root });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const keys = Array.from({ length: n }, (_, i) => `w-${i}`);
  const base = {
    task: "resume_matching",
    prompts: ["v1"],
    models: ["fake-fast"],
    allowFewerRepetitions: true,
  };

  for (const size of [CELL_WINDOW, CELL_WINDOW + 1]) {
    const subset = keys.slice(0, size);
    const { runs } = await experiment(store, {
      ...base,
      cases: subset,
      repetitions: 1,
    });
    assert.equal(runs[0]!.status, "completed", `${size} cells`);
    assert.equal(runs[0]!.cells, size);
    assert.deepEqual(
      await committedOf(store, runs[0]!.run_id),
      cellsOf(subset, 1),
    );
  }

  // A subset in its own order, across both windows.
  const scattered = keys.filter((_, i) => i % 2 === 1).reverse();
  const subset = await experiment(store, {
    ...base,
    cases: scattered,
    repetitions: 2,
  });
  assert.equal(subset.runs[0]!.cells, scattered.length * 2);
  assert.deepEqual(
    await committedOf(store, subset.runs[0]!.run_id),
    cellsOf(scattered, 2),
  );

  // Every case x 2, stopped part way and resumed: the committed cells lie in
  // several windows of cases and of cells.
  const controller = new AbortController();
  let sent = 0;
  const first = await experiment(store, {
    ...base,
    repetitions: 2,
    concurrency: 4,
    // Every call sent (the runs above answered some of them already).
    cache: "off",
    signal: controller.signal,
    adapterFor: (config) => {
      const inner = createAdapter(config);
      return {
        ...inner,
        call(request) {
          if (++sent >= 700) controller.abort();
          return inner.call(request);
        },
      };
    },
  });
  assert.equal(first.runs[0]!.status, "interrupted");
  const runId = first.runs[0]!.run_id;
  const before = await committedOf(store, runId);
  assert.ok(before.length > CELL_WINDOW && before.length < n * 2);
  const resumed = await resumeExperiment(store, runId);
  assert.equal(resumed.runs[0]!.status, "completed");
  assert.equal(resumed.runs[0]!.resumed, before.length);
  assert.equal(resumed.runs[0]!.committed, n * 2 - before.length);
  assert.deepEqual(await committedOf(store, runId), cellsOf(keys, 2));

  // More repetitions of cases across the case window.
  const more = keys.slice(CELL_WINDOW - 10, n);
  const extended = await extendRun(store, runId, {
    cells: more.map((k) => ({ "case_key": k, repetitions: 3 })),
  });
  assert.equal(extended.committed, more.length);
  assert.equal(extended.cells, n * 2 + more.length);
  assert.deepEqual(
    await committedOf(store, runId),
    [...cellsOf(keys, 2), ...more.map((k) => `${k}#2`)].sort(),
  );
});

Deno.test("experiment() refuses a case named twice before it writes a run", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store);
  await assert.rejects(
    () =>
      experiment(store, {
        task: "resume_matching",
        prompts: ["v1"],
        models: ["fake-fast"],
        cases: ["rm-001", "rm-002", "rm-001"],
        repetitions: 1,
        allowFewerRepetitions: true,
      }),
    (error) =>
      error instanceof ValidationError &&
      /case "rm-001" is named twice/.test(error.message),
  );
  const runs = await store.db.selectFrom("runs").select("id").execute();
  assert.deepEqual(runs, []);
});
