import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import { cacheKey } from "./cache_key.ts";
import {
  prepareCall,
  recordedRequest,
  type SerializeMemo,
} from "./_request_identity.ts";

const config = { provider: "fake" as const, model: "fake-fast-1", options: {} };

/** What prepareCall must give for a request, serialized from scratch. */
function expected(request: ModelRequest) {
  return {
    recordedJson: canonicalize(recordedRequest(request)),
    key: cacheKey(config, request),
  };
}

Deno.test("prepareCall() reuses a case's messages across repetitions and gives what it gives without a memo", () => {
  const memo: SerializeMemo = new Map();
  const messages = [{ role: "user" as const, content: "Résumé: é".repeat(50) }];
  const params = { temperature: 0 };
  for (let repetition = 0; repetition < 3; repetition++) {
    const request = { system: "Be brief", messages, params, repetition };
    const prepared = prepareCall(config, request, true, memo);
    assert.deepEqual(
      { recordedJson: prepared.recordedJson, key: prepared.key },
      expected(request),
    );
  }
});

Deno.test("prepareCall() serializes again a messages array changed in place", () => {
  const memo: SerializeMemo = new Map();
  const messages: { role: "user" | "assistant"; content: string }[] = [
    { role: "user", content: "Hello" },
  ];
  const request = { messages, params: {}, repetition: 0 };
  const first = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: first.recordedJson, key: first.key },
    expected(request),
  );
  // A conversation grown in place.
  messages.push({ role: "assistant", content: "Hi" });
  const grown = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: grown.recordedJson, key: grown.key },
    expected(request),
  );
  assert.notEqual(grown.key, first.key);
  // A message edited in place.
  messages[0]!.content = "Goodbye";
  const edited = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: edited.recordedJson, key: edited.key },
    expected(request),
  );
  assert.notEqual(edited.key, grown.key);
});

Deno.test("prepareCall() serializes again params and a schema changed in place", () => {
  const memo: SerializeMemo = new Map();
  const params: Record<string, unknown> = { temperature: 0 };
  const schema: Record<string, unknown> = { type: "object" };
  const request = {
    messages: [{ role: "user" as const, content: "Hello" }],
    params,
    structured: { name: "answer", schema },
    repetition: 0,
  };
  const first = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: first.recordedJson, key: first.key },
    expected(request),
  );
  params["temperature"] = 1;
  const hotter = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: hotter.recordedJson, key: hotter.key },
    expected(request),
  );
  schema["required"] = ["label"];
  const stricter = prepareCall(config, request, true, memo);
  assert.deepEqual(
    { recordedJson: stricter.recordedJson, key: stricter.key },
    expected(request),
  );
  assert.notEqual(stricter.key, hotter.key);
});
