import assert from "node:assert/strict";
import { renderPrompt } from "./render.ts";

Deno.test("renderPrompt() fills strings as-is and objects as JSON", () => {
  const out = renderPrompt({ system: "s", template: "A {{ a }} B {{b}}" }, {
    a: "x",
    b: { k: 1 },
  });
  assert.equal(out.system, "s");
  assert.equal(out.messages[0]!.content, 'A x B {\n  "k": 1\n}');
});

Deno.test("renderPrompt() names a missing variable and the fields present", () => {
  assert.throws(
    () => renderPrompt({ system: "", template: "{{missing}}" }, { here: 1 }),
    /Template variable 'missing' is not in the case input \(fields: here\)/,
  );
});
