import assert from "node:assert/strict";
import { parseJsonStrict, StrictJsonError } from "./_strict_json.ts";

Deno.test("parseJsonStrict() parses what JSON.parse parses", () => {
  for (
    const text of [
      '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"],"b":{}}',
      " [ ] ",
      '"\\ud83d\\ude00"',
      "0",
      '{"__proto__":1}',
    ]
  ) {
    assert.deepEqual(parseJsonStrict(text), JSON.parse(text));
  }
  assert.ok(
    Object.hasOwn(parseJsonStrict('{"__proto__":1}') as object, "__proto__"),
  );
});

Deno.test("parseJsonStrict() refuses duplicate keys, with their offset", () => {
  const text = '{"a":1,"b":{"c":1,"c":2}}';
  assert.deepEqual(JSON.parse(text), { a: 1, b: { c: 2 } });
  assert.throws(
    () => parseJsonStrict(text),
    (error: unknown) =>
      error instanceof StrictJsonError && error.offset === 18 &&
      /duplicate key 'c'/.test(error.message),
  );
  // Equal after unescaping is still a duplicate.
  assert.throws(
    () => parseJsonStrict('{"a":1,"\\u0061":2}'),
    /duplicate key 'a'/,
  );
});

Deno.test("parseJsonStrict() refuses what RFC 8259 and RFC 8785 refuse", () => {
  for (
    const text of [
      "{a:1}",
      "[1,]",
      "01",
      "1.",
      '"\t"',
      '"\\ud800"',
      "NaN",
      "1e999",
      "[1] x",
      "",
      '{"a":1',
    ]
  ) {
    assert.throws(() => parseJsonStrict(text), StrictJsonError, text);
  }
});
