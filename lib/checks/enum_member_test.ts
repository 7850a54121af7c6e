import assert from "node:assert/strict";
import { enumMember } from "./enum_member.ts";

const ctx = { input: {}, slice: "typical" as const };
const config = enumMember.config.parse({
  field: "priority",
  values: ["low", "medium", "high", "urgent"],
});

Deno.test("enum_member passes an allowed value, fenced or not", () => {
  assert.equal(
    enumMember.run('{"priority": "high"}', {}, config, ctx).pass,
    true,
  );
  assert.equal(
    enumMember.run('```json\n{"priority": "low"}\n```', {}, config, ctx).pass,
    true,
  );
});

Deno.test("enum_member fails another case and hints at the intended value", () => {
  const r = enumMember.run('{"priority": "High"}', {}, config, ctx);
  assert.equal(r.pass, false);
  assert.match(r.detail, /did the model mean "high"/);
  assert.equal(
    enumMember.run('{"priority": "critical"}', {}, config, ctx).score,
    0,
  );
  assert.equal(enumMember.run('{"priority": 3}', {}, config, ctx).pass, false);
});

Deno.test("enum_member handles unicode values, missing fields and non-JSON", () => {
  const c = enumMember.config.parse({
    field: "lang",
    values: ["français", "日本語"],
  });
  assert.equal(enumMember.run('{"lang": "日本語"}', {}, c, ctx).pass, true);
  assert.match(enumMember.run("{}", {}, config, ctx).detail, /missing/);
  assert.match(enumMember.run("", {}, config, ctx).detail, /empty/);
  assert.match(
    enumMember.run("high", {}, config, ctx).detail,
    /not a JSON object/,
  );
});
