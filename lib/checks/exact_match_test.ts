import assert from "node:assert/strict";
import { exactMatch } from "./exact_match.ts";

const ctx = { input: {}, slice: "typical" as const };

Deno.test("exact_match compares strings case-insensitively", () => {
  const config = exactMatch.config.parse({ field: "category" });
  const result = exactMatch.run(
    '{"category": " Billing "}',
    { category: "billing" },
    config,
    ctx,
  );
  assert.equal(result.pass, true);
  assert.equal(result.score, 1);
  const wrong = exactMatch.run(
    '{"category": "technical"}',
    { category: "billing" },
    config,
    ctx,
  );
  assert.deepEqual(wrong, {
    pass: false,
    score: 0,
    detail: '"category" is technical, expected billing',
  });
});

Deno.test("exact_match reads expected_field and compares non-strings as JSON", () => {
  const config = exactMatch.config.parse({
    field: "requires_human",
    "expected_field": "human",
  });
  assert.equal(
    exactMatch.run('{"requires_human": true}', { human: true }, config, ctx)
      .pass,
    true,
  );
  assert.equal(
    exactMatch.run('{"requires_human": "true"}', { human: true }, config, ctx)
      .pass,
    false,
  );
});

Deno.test("exact_match handles unicode, fences, missing field, empty output", () => {
  const config = exactMatch.config.parse({ field: "city" });
  assert.equal(
    exactMatch.run(
      '```json\n{"city": "ZÜRICH"}\n```',
      { city: "zürich" },
      config,
      ctx,
    ).pass,
    true,
  );
  assert.match(
    exactMatch.run('{"town": "x"}', { city: "x" }, config, ctx).detail,
    /"city" is missing/,
  );
  assert.match(exactMatch.run("", { city: "x" }, config, ctx).detail, /empty/);
});

Deno.test("exact_match passes as not applicable when the case has no expected value", () => {
  const config = exactMatch.config.parse({ field: "category" });
  const result = exactMatch.run("not json", {}, config, ctx);
  assert.equal(result.pass, true);
  assert.match(result.detail, /^not applicable/);
});
