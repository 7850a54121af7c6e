import assert from "node:assert/strict";
import { escapeHtml } from "./escape_html.ts";

Deno.test("escapeHtml() escapes the five HTML special characters", () => {
  assert.equal(
    escapeHtml(`<a href="javascript:x" title='t'>&</a>`),
    "&lt;a href=&quot;javascript:x&quot; title=&#39;t&#39;&gt;&amp;&lt;/a&gt;",
  );
});

Deno.test("escapeHtml() replaces NUL and lone surrogates and converts non-strings", () => {
  assert.equal(escapeHtml("a\u0000b\uD800"), "a\uFFFDb\uFFFD");
  assert.equal(escapeHtml(42), "42");
  assert.equal(escapeHtml(null), "");
  assert.equal(escapeHtml("plain text é"), "plain text é");
});

Deno.test("escapeHtml() output never holds a raw angle bracket or quote", () => {
  const payloads = [
    "<script>alert(1)</script>",
    `"><svg onload=alert(1)>`,
    "'-alert(1)-'",
    "</textarea><script>",
  ];
  for (const payload of payloads) {
    assert.doesNotMatch(escapeHtml(payload), /[<>"']/);
  }
});
