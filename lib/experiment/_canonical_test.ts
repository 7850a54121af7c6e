import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import {
  canonicalObject,
  canonicalValue,
  canonicalWith,
} from "./_canonical.ts";

const VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  1e21,
  1.5e-7,
  -12.25,
  "",
  "plain",
  'quote " backslash \\ newline \n tab \t control \u0001',
  "é — 日本 \u{1F600}",
  [],
  [1, "two", null, [3]],
  {},
  { b: 1, a: [{ d: "x", c: null }], "é": true, "\u00e9\u0301": 2 },
  { skipped: undefined, kept: 1 },
];

Deno.test("canonicalValue() gives exactly what canonicalize() gives", () => {
  for (const value of VALUES) {
    assert.equal(canonicalValue(value), canonicalize(value));
  }
});

Deno.test("canonicalValue() refuses what canonicalize() refuses", () => {
  for (const value of [NaN, Infinity, "lone \ud800 surrogate", [undefined]]) {
    assert.throws(() => canonicalValue(value), TypeError);
  }
});

Deno.test("canonicalObject() and canonicalWith() equal canonicalize() of the whole object", () => {
  const object: Record<string, unknown> = {
    zeta: [1, 2],
    alpha: { y: 1, x: "two" },
    "Zulu": "upper case sorts first",
    "a\u00e9": null,
    omitted: undefined,
    messages: [{ role: "user", content: "Resume:\n<<<\nA — B\n>>>" }],
  };
  const members: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(object)) {
    members[key] = value === undefined ? undefined : canonicalize(value);
  }
  assert.equal(canonicalObject(members), canonicalize(object));
  assert.equal(
    canonicalWith(object, { messages: canonicalize(object.messages) }),
    canonicalize(object),
  );
  assert.equal(canonicalObject({}), "{}");
});
