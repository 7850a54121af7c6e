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

Deno.test("parseOutput() reads each output shape the checks meet as it always has", async (t) => {
  // Expected values are what main's parser gave before candidates were made
  // one at a time (2d3ce46): the whole text, then each fence in order, then
  // the first balanced object; the first that parses to an object wins.
  const table: [string, string, unknown][] = [
    ["bare object", '{"a":1}', { a: 1 }],
    ["BOM and blank lines", '\uFEFF\n\n {"a":1} \n', { a: 1 }],
    ["prose around JSON", 'Sure! {"a":1} Hope it helps.', { a: 1 }],
    ["two objects: the first", 'First {"a":1} then {"b":2}', { a: 1 }],
    ["two objects on lines", '{"a":1}\n{"b":2}', { a: 1 }],
    ["fence before a bare object", '```json\n{"f":1}\n```\n{"b":2}', { f: 1 }],
    [
      "bare object before a fence: the fence",
      '{"b":2}\n```json\n{"f":1}\n```',
      {
        f: 1,
      },
    ],
    ["two fences: the first", '```json\n{"a":1}\n```\n```json\n{"b":2}\n```', {
      a: 1,
    }],
    [
      "a broken fence, then a good one",
      '```json\n{"a":\n```\n```\n{"b":2}\n```',
      {
        b: 2,
      },
    ],
    [
      "an array fence, then an object fence",
      '```json\n[1]\n```\n```json\n{"b":2}\n```',
      {
        b: 2,
      },
    ],
    ["fence with a language and spaces", '```JSON  \n{"a":1}\n```', { a: 1 }],
    ["unclosed fence, balanced object inside", '```json\n{"a":1}', { a: 1 }],
    ["braces in strings", 'x {"t":"}{","u":"\\"}"} y', { t: "}{", u: '"}' }],
    ["nested objects", 'Result: {"a":{"b":{"c":1}}}.', { a: { b: { c: 1 } } }],
    ["array holding an object", '[{"a":1}]', { a: 1 }],
    ["truncated object", '{"a":1,"b":', false],
    ["truncated in a string", 'The answer: {"a":"unfinished', false],
    ["an array only", "[1,2]", "the output is a JSON array, not an object"],
    ["empty", " \n ", "the output is empty"],
    ["a JSON string", '"{\\"a\\":1}"', false],
    ["null", "null", false],
  ];
  for (const [name, output, expected] of table) {
    await t.step(name, () => {
      const parsed = parseOutput(output);
      if (typeof expected === "object") {
        assert.deepEqual(parsed, { ok: true, value: expected });
      } else if (typeof expected === "string") {
        assert.deepEqual(parsed, { ok: false, reason: expected });
      } else {
        assert.equal(parsed.ok, false);
        assert.match(!parsed.ok ? parsed.reason : "", /not a JSON object/);
      }
    });
  }
});
