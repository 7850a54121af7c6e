import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import {
  getDataset,
  getDatasetInfo,
  latestDatasetId,
} from "../store/catalog.ts";
import { open } from "../store/open.ts";
import { CELL_WINDOW, CellStream } from "./_cell_stream.ts";
import { experiment } from "./experiment.ts";
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
