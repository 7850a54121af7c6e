import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import type { CellWrite } from "../store/runs.ts";
import { Tracer } from "../trace/tracer.ts";
import { CellCommitter } from "./_committer.ts";

const result = (i: number): CellWrite["result"] => ({
  id: `res_${i}`,
  run_id: "run_1",
  case_key: `c${i}`,
  repetition: 0,
  slice: "typical",
  generation_io_id: `io_${i}`,
  judge_io_ids: [],
  output: null,
  status: "provider_error",
  checks: {},
  rubric: null,
  judge_error: null,
  created_at: "2026-01-01T00:00:00.000Z",
  scored_at: "2026-01-01T00:00:00.000Z",
});

Deno.test("CellCommitter groups cells finished during a commit into the next transaction", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "t",
    steps: [{ id: "s", description: "s" }],
  });
  const batches: number[] = [];
  const committer = new CellCommitter({
    threaded: false,
    write(cells) {
      batches.push(cells.length);
      return new Promise((r) => setTimeout(r, 5));
    },
    close: () => Promise.resolve(),
  }, tracer);
  const done: number[] = [];
  for (let i = 0; i < 5; i++) {
    committer.commit(
      { receipts: [], result: result(i) },
      (t) => [t.next("step_finished", { step: "s", data: { i } })],
      () => done.push(i),
    );
  }
  await committer.idle();
  // The first cell starts a commit alone; the four queued meanwhile go together.
  assert.deepEqual(batches, [1, 4]);
  assert.deepEqual(done, [0, 1, 2, 3, 4]);
  assert.equal(committer.error, undefined);
});

Deno.test("CellCommitter counts no cell of a failed batch and commits nothing after it", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "t",
    steps: [{ id: "s", description: "s" }],
  });
  let writes = 0;
  const committer = new CellCommitter({
    threaded: false,
    write() {
      writes++;
      return Promise.reject(new Error("disk full"));
    },
    close: () => Promise.resolve(),
  }, tracer);
  const done: number[] = [];
  for (let i = 0; i < 3; i++) {
    committer.commit(
      { receipts: [], result: result(i) },
      () => [],
      () => done.push(i),
    );
  }
  await committer.idle();
  assert.deepEqual(done, []);
  assert.equal(writes, 1);
  assert.match(String(committer.error), /disk full/);
  await committer.room();
});
