import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import { ConflictError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import { DatasetHash, readValidatedCases } from "./_dataset.ts";

const CASES: Case[] = [
  {
    id: "a-1",
    slice: "typical",
    input: { text: "h\u00e9llo", n: 1 },
    expected: {},
  },
  {
    id: "a-2",
    slice: "edge",
    input: { z: [1, { b: 2, a: null }], text: "\u{1f600}" },
    expected: { label: "x" },
    note: "why",
  },
  { id: "a-3", slice: "adversarial", input: {}, expected: { k: true } },
];

function hashOf(cases: readonly Case[]): string {
  const hash = new DatasetHash();
  for (const c of cases) hash.add(c);
  return hash.digest();
}

Deno.test("DatasetHash gives contentHash(cases), one case at a time", () => {
  assert.equal(hashOf([]), contentHash([]));
  assert.equal(hashOf(CASES.slice(0, 1)), contentHash(CASES.slice(0, 1)));
  assert.equal(hashOf(CASES), contentHash(CASES));
});

Deno.test("DatasetHash throws what contentHash(cases) throws for a lone surrogate", () => {
  const cases: Case[] = [
    ...CASES,
    { id: "a-4", slice: "edge", input: {}, expected: {}, note: "\ud800" },
  ];
  assert.throws(() => contentHash(cases), /Cannot canonicalize \$\[3\]\.note/);
  assert.throws(
    () => hashOf(cases),
    (error) =>
      error instanceof TypeError &&
      error.message ===
        "Cannot canonicalize $[3].note: lone surrogate in string",
  );
});

Deno.test("readValidatedCases() yields the cases, and refuses a file changed since it was validated", async () => {
  const root = await Deno.makeTempDir();
  try {
    const text = CASES.map((c) => JSON.stringify(c)).join("\r\n") + "\n\n";
    await Deno.writeTextFile(`${root}/d.jsonl`, text);
    const id = contentHash(CASES);
    const read: Case[] = [];
    for await (const c of readValidatedCases(root, "d.jsonl", id)) read.push(c);
    assert.deepEqual(read, CASES);

    const drain = async () => {
      for await (const _ of readValidatedCases(root, "d.jsonl", id)) {
        // reading is the test
      }
    };
    await Deno.writeTextFile(`${root}/d.jsonl`, text.replace("a-3", "a-9"));
    await assert.rejects(drain, ConflictError);
    await Deno.writeTextFile(`${root}/d.jsonl`, text + "{not json}\n");
    await assert.rejects(drain, ConflictError);
    await Deno.writeFile(
      `${root}/d.jsonl`,
      new Uint8Array([...new TextEncoder().encode(text), 0xff]),
    );
    await assert.rejects(drain, /d\.jsonl changed while it was being loaded/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
