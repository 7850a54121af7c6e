import assert from "node:assert/strict";
import { newId, nowIso } from "./ids.ts";

Deno.test("newId() gives distinct ids of 24 hex digits across refills of its random pool", () => {
  // 6 random bytes an id, a 4096-byte pool: 5,000 ids refill it 7 times.
  const ids = Array.from({ length: 5000 }, () => newId("io"));
  for (const id of ids) assert.match(id, /^io_[0-9a-f]{24}$/);
  assert.equal(new Set(ids).size, ids.length);
  // The random half is not shared by ids of the same millisecond.
  assert.equal(new Set(ids.map((id) => id.slice(-12))).size, ids.length);
});

Deno.test("newId() in a worker draws from its own pool: its ids are not the main thread's", async () => {
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
