import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { startWireStub } from "../providers/_wire_stub.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { open } from "../store/open.ts";
import { listReceipts } from "../store/scores.ts";
import { experiment } from "./experiment.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("experiment() records the provider's latency: at least what the server took, the first calls per connection flagged and left out of p50/p95", async () => {
  // A server that only waits: 60 ms for every answer.
  const delay = 60;
  await using stub = startWireStub("openai", {
    plan: () => ({
      delayMs: delay,
      json: {
        id: "chatcmpl-1",
        model: "gpt-4o-mini",
        choices: [{
          message: { content: '{"category":"billing"}' },
          finish_reason: "stop",
        }],
        usage: { prompt_tokens: 10, completion_tokens: 5 },
      },
    }),
  });
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const viaStub = (config: ModelConfig) =>
    createAdapter(
      {
        ...config,
        provider: "openai",
        model: "gpt-4o-mini",
        base_url: stub.baseUrl,
        api_key_env: "WB_STUB_KEY",
        options: {},
      },
      { env: () => "sk-stub" },
    );
  const concurrency = 3;
  const { runs } = await experiment(store, {
    task: "support_triage",
    prompts: ["v1"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002", "st-003", "st-004"],
    repetitions: 3,
    cache: "off",
    concurrency,
    adapterFor: viaStub,
  });
  const receipts = await listReceipts(store, runs[0]!.run_id);
  assert.equal(receipts.length, 12);
  // Never less than the server's wait (the answer cannot come sooner).
  for (const r of receipts) assert.ok(r.latency_ms >= delay, `${r.latency_ms}`);
  // The calls sent before the adapter read its first answer are flagged:
  // the first wave (one per connection the pool opened), and no later one.
  const cold = receipts.filter((r) =>
    (r.response as { connection_cold?: boolean } | null)?.connection_cold
  );
  assert.ok(cold.length >= 1 && cold.length <= concurrency, `${cold.length}`);
  // The measure rides on the receipt, not in the stored response.
  assert.ok(
    receipts.every((r) => !("latency_ms" in (r.response as object))),
  );
  const { scorecard } = await scoreRun(store, runs[0]!.run_id);
  const generation = scorecard.latency_ms.generation!;
  assert.equal(generation.n, receipts.length - cold.length);
  assert.equal(generation.cold_excluded, cold.length);
  assert.ok(generation.p50 >= delay);
});
