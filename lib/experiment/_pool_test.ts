import assert from "node:assert/strict";
import { runPool } from "./_pool.ts";

Deno.test("runPool() keeps at most `concurrency` items in flight and runs each once", async () => {
  let inFlight = 0;
  let most = 0;
  const ran: number[] = [];
  await runPool(20, 3, async (index, sent) => {
    inFlight++;
    most = Math.max(most, inFlight);
    sent();
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    ran.push(index);
    return undefined;
  });
  assert.equal(most, 3);
  assert.deepEqual(ran.toSorted((a, b) => a - b), [...Array(20).keys()]);
});

Deno.test("runPool() finishes an item once the loop's next item is sent, and the last one at the end", async () => {
  const log: string[] = [];
  await runPool(3, 1, (index, sent) => {
    log.push(`call ${index}`);
    sent();
    return Promise.resolve(() => {
      log.push(`finish ${index}`);
      return Promise.resolve();
    });
  });
  assert.deepEqual(log, [
    "call 0",
    "call 1",
    "finish 0",
    "call 2",
    "finish 1",
    "finish 2",
  ]);
});

Deno.test("runPool() stops taking items after an error and rethrows it", async () => {
  const started: number[] = [];
  await assert.rejects(
    () =>
      runPool(100, 2, (index) => {
        started.push(index);
        if (index === 3) return Promise.reject(new Error("boom"));
        return new Promise((r) => setTimeout(() => r(undefined), 1));
      }),
    /boom/,
  );
  assert.ok(started.length < 10, `started ${started.length} items`);
});
