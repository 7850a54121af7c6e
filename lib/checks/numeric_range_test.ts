import assert from "node:assert/strict";
import { numericRange } from "./numeric_range.ts";

const ctx = { input: {}, slice: "typical" as const };
const fromExpected = numericRange.config.parse({
  field: "match_score",
  "min_from": "match_score_min",
  "max_from": "match_score_max",
});
const expected = { "match_score_min": 60, "match_score_max": 80 };

Deno.test("numeric_range passes within bounds read from expected, inclusive", () => {
  for (const score of [60, 70, 80]) {
    const r = numericRange.run(
      `{"match_score": ${score}}`,
      expected,
      fromExpected,
      ctx,
    );
    assert.equal(r.pass, true, String(score));
    assert.equal(r.score, 1);
  }
});

Deno.test("numeric_range gives partial credit by distance over the range width", () => {
  const r = numericRange.run(
    '{"match_score": 85}',
    expected,
    fromExpected,
    ctx,
  );
  assert.equal(r.pass, false);
  assert.equal(r.score, 0.75); // 5 outside a width of 20
  assert.equal(r.detail, '"match_score" 85 is 5 outside [60, 80]');
  assert.equal(
    numericRange.run('{"match_score": 0}', expected, fromExpected, ctx).score,
    0,
  );
});

Deno.test("numeric_range falls back to fixed bounds and handles open ranges", () => {
  const fixed = numericRange.config.parse({
    field: "n",
    min: 0,
    "min_from": "lo",
  });
  assert.equal(numericRange.run('{"n": 5}', {}, fixed, ctx).pass, true);
  assert.equal(
    numericRange.run('{"n": 5}', { lo: 10 }, fixed, ctx).pass,
    false,
  );
  assert.equal(numericRange.run('{"n": -1}', {}, fixed, ctx).score, 0);
});

Deno.test("numeric_range fails non-numbers, missing fields, prose and empty output", () => {
  assert.match(
    numericRange.run('{"match_score": "70"}', expected, fromExpected, ctx)
      .detail,
    /not a number/,
  );
  assert.match(
    numericRange.run("{}", expected, fromExpected, ctx).detail,
    /missing/,
  );
  assert.match(
    numericRange.run("seventy", expected, fromExpected, ctx).detail,
    /not a JSON object/,
  );
  assert.equal(numericRange.run("", expected, fromExpected, ctx).pass, false);
  assert.equal(
    numericRange.run(
      '```json\n{"match_score": 70}\n```',
      expected,
      fromExpected,
      ctx,
    ).pass,
    true,
  );
});

Deno.test("numeric_range is not applicable without any bound, and config needs one", () => {
  assert.match(
    numericRange.run("{}", {}, fromExpected, ctx).detail,
    /not applicable/,
  );
  assert.equal(numericRange.config.safeParse({ field: "n" }).success, false);
});
