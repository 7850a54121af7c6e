import assert from "node:assert/strict";
import { setMatch } from "./set_match.ts";

const ctx = { input: {}, slice: "typical" as const };
const config = setMatch.config.parse({ field: "skills" });

Deno.test("set_match computes precision, recall and F1, case-insensitively", () => {
  const result = setMatch.run(
    '{"skills": ["TypeScript", "go", "Rust"]}',
    { skills: ["typescript", "Go", "SQL", "Docker"] },
    config,
    ctx,
  );
  // precision 2/3, recall 2/4, F1 = 2PR/(P+R) = 4/7
  assert.equal(result.score, 4 / 7);
  assert.equal(result.pass, false);
  assert.equal(
    result.detail,
    'precision 0.67, recall 0.50, F1 0.57; extra: "rust"; missed: "sql", "docker"',
  );
});

Deno.test("set_match passes at min_f1 and honours a custom threshold", () => {
  const out = '{"skills": ["a", "b", "c"]}';
  const expected = { skills: ["a", "b", "c", "d", "e"] }; // P 1, R 0.6, F1 0.75
  assert.equal(setMatch.run(out, expected, config, ctx).pass, true);
  const strict = setMatch.config.parse({ field: "skills", "min_f1": 0.8 });
  assert.equal(setMatch.run(out, expected, strict, ctx).pass, false);
});

Deno.test("set_match treats two empty lists as agreement and one empty list as F1 0", () => {
  assert.equal(
    setMatch.run('{"skills": []}', { skills: [] }, config, ctx).score,
    1,
  );
  assert.equal(
    setMatch.run('{"skills": []}', { skills: ["x"] }, config, ctx).score,
    0,
  );
  assert.equal(
    setMatch.run('{"skills": ["x"]}', { skills: [] }, config, ctx).score,
    0,
  );
});

Deno.test("set_match handles unicode, duplicates, fences, non-lists and missing fields", () => {
  const fenced = '```json\n{"skills": ["Ünicode", "ünicode", "日本語"]}\n```';
  assert.equal(
    setMatch.run(fenced, { skills: ["ÜNICODE", "日本語"] }, config, ctx).score,
    1,
  );
  assert.match(
    setMatch.run('{"skills": "a"}', { skills: ["a"] }, config, ctx).detail,
    /not a list/,
  );
  assert.match(
    setMatch.run("{}", { skills: ["a"] }, config, ctx).detail,
    /missing/,
  );
  assert.match(
    setMatch.run("", { skills: ["a"] }, config, ctx).detail,
    /empty/,
  );
  assert.match(setMatch.run("{}", {}, config, ctx).detail, /not applicable/);
});

Deno.test("set_match reads expected_field", () => {
  const c = setMatch.config.parse({
    field: "matched",
    "expected_field": "matched_skills",
  });
  assert.equal(
    setMatch.run('{"matched": ["a"]}', { "matched_skills": ["A"] }, c, ctx)
      .score,
    1,
  );
});
