import assert from "node:assert/strict";
import { parseJwk } from "./keys.ts";
import { verifyBundle } from "./verify_bundle.ts";

const DATA = new URL("./testdata/", import.meta.url);

Deno.test("verifyBundle() still accepts the committed example bundle (format version 1 golden file)", async () => {
  const text = await Deno.readTextFile(new URL("example.bundle.json", DATA));
  const pubkey = parseJwk(
    JSON.parse(await Deno.readTextFile(new URL("example.pub.jwk", DATA))),
  );
  const expect = (await Deno.readTextFile(new URL("example.sha256", DATA)))
    .trim();
  const result = await verifyBundle(text, { pubkey, expect });
  assert.deepEqual(result.problems, []);
  assert.equal(result.signature, "verified");
  assert.equal(result.counts.receipts, 1);
  assert.equal(result.counts.artifacts, 2);
  assert.equal(result.counts.trace_events, 4);
});
