import assert from "node:assert/strict";
import { newId, nowIso } from "./ids.ts";

Deno.test("newId() gives distinct ids of 24 hex digits that sort in the order they were made", () => {
  const ids = Array.from({ length: 5000 }, () => newId("io"));
  for (const id of ids) assert.match(id, /^io_[0-9a-f]{24}$/);
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} before ${ids[i]}`);
  }
});

Deno.test("newId() keeps its order when the clock steps back, and starts each millisecond at a random value", () => {
  const realNow = Date.now;
  // Close to the real clock: ids made after this test are ahead of it by
  // at most the 51 ms this test moves it on.
  let clock = realNow() + 1;
  Date.now = () => clock;
  try {
    const first = newId("io");
    clock -= 1; // the clock is set back
    const second = newId("io");
    assert.ok(first < second);
    assert.equal(second.slice(3, 15), first.slice(3, 15));
    // Later milliseconds: each one's counter starts afresh at random.
    const starts = Array.from({ length: 50 }, () => {
      clock += 1;
      return newId("io").slice(-12);
    });
    assert.ok(new Set(starts).size > 45, "the start is drawn per millisecond");
  } finally {
    Date.now = realNow;
  }
});

Deno.test("newId() in a worker starts from its own random values: its ids are not the main thread's", async () => {
  const source = `import { newId } from ${
    JSON.stringify(import.meta.resolve("./ids.ts"))
  };
self.postMessage(Array.from({ length: 2000 }, () => newId("io")));`;
  const url = URL.createObjectURL(
    new Blob([source], { type: "text/javascript" }),
  );
  const worker = new Worker(url, { type: "module" });
  try {
    const theirs = await new Promise<string[]>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(e);
    });
    const ours = Array.from({ length: 2000 }, () => newId("io"));
    const random = new Set(ours.map((id) => id.slice(-12)));
    assert.equal(theirs.length, 2000);
    assert.ok(theirs.every((id) => !random.has(id.slice(-12))));
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("nowIso() gives the clock's time as ISO 8601 UTC", () => {
  const before = Date.now();
  const iso = nowIso();
  const after = Date.now();
  assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const at = Date.parse(iso);
  assert.ok(at >= before && at <= after);
});
