import assert from "node:assert/strict";
import { kindOfStatus, parseRetryAfter } from "./_sdk_support.ts";

Deno.test("parseRetryAfter() reads seconds, HTTP dates and retry-after-ms", async (t) => {
  const now = Date.parse("2025-05-01T12:00:00Z");
  for (
    const [headers, expected] of [
      [{ "retry-after": "5" }, 5000],
      [{ "retry-after": "1.25" }, 1250],
      [{ "retry-after": "Thu, 01 May 2025 12:00:30 GMT" }, 30_000],
      [{ "retry-after": "Thu, 01 May 2025 11:00:00 GMT" }, 0],
      [{ "retry-after-ms": "750" }, 750],
      [{ "retry-after-ms": "750", "retry-after": "9" }, 750],
      [{ "retry-after-ms": "soon", "retry-after": "9" }, 9000],
      [{ "retry-after": "later" }, undefined],
      [{}, undefined],
    ] as const
  ) {
    await t.step(JSON.stringify(headers), () => {
      assert.equal(parseRetryAfter(new Headers(headers), now), expected);
    });
  }
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

Deno.test("kindOfStatus() maps statuses and overloaded bodies to kinds", () => {
  assert.equal(kindOfStatus(429, "rate_limit_error"), "rate_limit");
  assert.equal(kindOfStatus(529, null), "overloaded");
  assert.equal(kindOfStatus(500, "overloaded_error"), "overloaded");
  assert.equal(kindOfStatus(500, "api_error"), "server");
  assert.equal(kindOfStatus(504, undefined), "server");
  assert.equal(kindOfStatus(408, undefined), "timeout");
  assert.equal(kindOfStatus(401, undefined), "auth");
  assert.equal(kindOfStatus(403, undefined), "auth");
  assert.equal(kindOfStatus(400, undefined), "bad_request");
  assert.equal(kindOfStatus(404, undefined), "bad_request");
});
