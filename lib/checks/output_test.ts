import assert from "node:assert/strict";
import { parseOutput, readField } from "./output.ts";

Deno.test("parseOutput() reads a bare JSON object", () => {
  const parsed = parseOutput('  {"a": 1}\n');
  assert.deepEqual(parsed, { ok: true, value: { a: 1 } });
});

Deno.test("parseOutput() reads a ```json fence and a bare ``` fence", () => {
  assert.deepEqual(
    parseOutput('Here you go:\n```json\n{"a": "é"}\n```\nThanks'),
    { ok: true, value: { a: "é" } },
  );
  assert.deepEqual(parseOutput('```\n{"b": [1]}\n```'), {
    ok: true,
    value: { b: [1] },
  });
});

Deno.test("parseOutput() finds a balanced object inside prose, braces in strings included", () => {
  const parsed = parseOutput('Answer: {"text": "a } b {", "n": 2} -- done');
  assert.deepEqual(parsed, { ok: true, value: { text: "a } b {", n: 2 } });
});

Deno.test("parseOutput() explains empty output, prose and arrays", () => {
  assert.deepEqual(parseOutput("   "), {
    ok: false,
    reason: "the output is empty",
  });
  const prose = parseOutput("The candidate is great.");
  assert.equal(prose.ok, false);
  assert.match(
    !prose.ok ? prose.reason : "",
    /not a JSON object: "The candidate/,
  );
  const array = parseOutput("[1, 2]");
  assert.match(!array.ok ? array.reason : "", /array/);
  const broken = parseOutput('{"a": 1');
  assert.equal(broken.ok, false);
});

Deno.test("readField() treats null as missing", () => {
  const read = readField('{"a": null}', "a");
  assert.equal(read.ok, false);
  assert.match(!read.ok ? read.result.detail : "", /"a" is missing/);
  assert.deepEqual(readField('{"a": 0}', "a"), { ok: true, value: 0 });
});
