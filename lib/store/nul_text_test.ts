import assert from "node:assert/strict";
import { decodeText, encodeText, encodeTexts } from "./_nul_text.ts";

Deno.test("encodeText() stores no NUL and decodeText() gives back exactly what was encoded", () => {
  const texts = [
    "",
    "plain",
    "a\u0000b",
    "\u0000",
    "\u0001",
    "\u0001x",
    "x\u0001",
    "\u0001\u0000\u00010",
    "0\u00010",
    "\u0000\u0000\u0001\u0001",
    "é\u0000🙂",
  ];
  for (const text of texts) {
    const stored = encodeText(text);
    assert.ok(!stored.includes("\u0000"), JSON.stringify(text));
    assert.equal(decodeText(stored), text);
  }
  // Text with neither is stored as it is; encoded text is told by its first character.
  assert.equal(encodeText("x\u0001"), "x\u0001");
  assert.equal(encodeText("a\u0000b"), "\u0001a\u00010b");
  assert.equal(decodeText("x\u0001"), "x\u0001");
});

Deno.test("encodeTexts() returns the same array when no parameter needs encoding", () => {
  const plain = ["a", 1, null];
  assert.equal(encodeTexts(plain), plain);
  assert.deepEqual(encodeTexts(["a\u0000", 2]), ["\u0001a\u00010", 2]);
});
