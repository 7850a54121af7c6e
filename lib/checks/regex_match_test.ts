import assert from "node:assert/strict";
import { regexMatch } from "./regex_match.ts";

const ctx = { input: {}, slice: "typical" as const };

Deno.test("regex_match tests the whole output when no field is given", () => {
  const config = regexMatch.config.parse({ pattern: "^\\s*\\{" });
  assert.equal(regexMatch.run('{"a":1}', {}, config, ctx).pass, true);
  assert.equal(regexMatch.run("Sure! {}", {}, config, ctx).pass, false);
  assert.equal(regexMatch.run("", {}, config, ctx).pass, false);
});

Deno.test("regex_match tests a field with flags, and must_match false forbids", () => {
  const config = regexMatch.config.parse({
    field: "suggested_reply",
    pattern: "refund",
    flags: "i",
    "must_match": false,
  });
  const promised = regexMatch.run(
    '{"suggested_reply": "Your REFUND is on its way"}',
    {},
    config,
    ctx,
  );
  assert.equal(promised.pass, false);
  assert.match(promised.detail, /forbidden .* at "REFUND"/);
  assert.equal(
    regexMatch.run('{"suggested_reply": "We are checking."}', {}, config, ctx)
      .pass,
    true,
  );
  assert.match(
    regexMatch.run('{"other": 1}', {}, config, ctx).detail,
    /missing/,
  );
  assert.match(
    regexMatch.run("prose", {}, config, ctx).detail,
    /not a JSON object/,
  );
});

Deno.test("regex_match handles unicode and repeated calls with a g flag", () => {
  const config = regexMatch.config.parse({
    field: "name",
    pattern: "\\p{Lu}\\p{Ll}+",
    flags: "gu",
  });
  for (let i = 0; i < 3; i++) {
    assert.equal(
      regexMatch.run('```json\n{"name": "Émile"}\n```', {}, config, ctx).pass,
      true,
    );
  }
});

Deno.test("regex_match config refuses an invalid pattern", () => {
  const parsed = regexMatch.config.safeParse({ pattern: "(" });
  assert.equal(parsed.success, false);
  assert.equal(
    regexMatch.config.safeParse({ pattern: "a", flags: "x" }).success,
    false,
  );
});
