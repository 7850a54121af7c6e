import assert from "node:assert/strict";
import { canonicalize } from "./canonicalize.ts";
import { contentHash, sha256Hex } from "./sha256.ts";

const VECTORS = new URL("./testdata/jcs/", import.meta.url);

Deno.test("canonicalize() reproduces every RFC 8785 test vector byte for byte", async () => {
  let count = 0;
  for await (const entry of Deno.readDir(new URL("input/", VECTORS))) {
    const input = await Deno.readTextFile(
      new URL(`input/${entry.name}`, VECTORS),
    );
    const expected = await Deno.readFile(
      new URL(`output/${entry.name}`, VECTORS),
    );
    const hex = await Deno.readTextFile(
      new URL(`outhex/${entry.name.replace(".json", ".txt")}`, VECTORS),
    );
    const actual = new TextEncoder().encode(canonicalize(JSON.parse(input)));
    assert.deepEqual(actual, expected, entry.name);
    assert.deepEqual(
      [...actual].map((b) => b.toString(16).padStart(2, "0")).join(" "),
      hex.trim().split(/\s+/).join(" "),
      entry.name,
    );
    count++;
  }
  assert.equal(count, 6);
});

Deno.test("canonicalize() refuses values JSON cannot represent", () => {
  assert.throws(() => canonicalize(NaN), /not a JSON number/);
  assert.throws(() => canonicalize({ a: Infinity }), /\$\.a: Infinity/);
  assert.throws(() => canonicalize(["\uD800"]), /lone surrogate/);
  assert.throws(() => canonicalize({ ["\uDC00"]: 1 }), /lone surrogate in key/);
  assert.throws(() => canonicalize([undefined]), /undefined in array/);
  assert.throws(() => canonicalize(10n), /bigint/);
});

Deno.test("canonicalize() formats numbers as ECMAScript does", () => {
  assert.equal(
    canonicalize([-0, 1e21, 1e-7, 0.1 + 0.2, 9007199254740993]),
    "[0,1e+21,1e-7,0.30000000000000004,9007199254740992]",
  );
  assert.equal(
    canonicalize({ a: undefined, b: "\u2028\n" }),
    '{"b":"\u2028\\n"}',
  );
});

Deno.test("contentHash() ignores key order and sha256Hex() matches a known digest", () => {
  assert.equal(
    contentHash({ a: [1, { c: 2, b: 3 }] }),
    contentHash({ a: [1, { b: 3, c: 2 }] }),
  );
  assert.notEqual(contentHash({ a: 1 }), contentHash({ a: "1" }));
  assert.equal(
    sha256Hex(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});
