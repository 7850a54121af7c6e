import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { ModelConfig } from "../schema/model.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { getModelConfig } from "../store/catalog.ts";
import { open } from "../store/open.ts";
import {
  ADAPTER_REQUEST_VERSIONS,
  CACHE_KEY_FORMAT,
  cacheKey,
} from "./cache_key.ts";
import { experiment } from "./experiment.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

const request = {
  messages: [{ role: "user" as const, content: "Score this" }],
  params: { temperature: 0 },
  repetition: 0,
};

Deno.test("cacheKey() covers everything that shapes an answer, and its own format", () => {
  const config = {
    provider: "fake" as const,
    model: "fake-judge-1",
    options: { profile: "judge", bias: 0.5 },
  };
  const key = cacheKey(config, request);
  // Another option, base URL, model or provider: another key.
  for (
    const other of [
      { ...config, options: { profile: "judge", bias: -0.5 } },
      { ...config, options: { profile: "judge" } },
      { ...config, base_url: "http://127.0.0.1:9" },
      { ...config, model: "fake-judge-2" },
      { ...config, provider: "openai" as const },
      { ...config, behaviours: ["demo/fake/behaviours.ts"] },
    ]
  ) {
    assert.notEqual(cacheKey(other, request), key, JSON.stringify(other));
  }
  // Options in another order are the same options.
  assert.equal(
    cacheKey({ ...config, options: { bias: 0.5, profile: "judge" } }, request),
    key,
  );
  assert.equal(CACHE_KEY_FORMAT, 2);
  assert.deepEqual(ADAPTER_REQUEST_VERSIONS, {
    fake: 1,
    anthropic: 1,
    openai: 1,
  });
});

Deno.test("experiment() gives two judge configs that differ only in options their own answers", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const calls = new Map<string, number>();
  const adapterFor = (config: ModelConfig) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call: (r: Parameters<typeof inner.call>[0]) => {
        calls.set(config.id, (calls.get(config.id) ?? 0) + 1);
        return inner.call(r);
      },
    };
  };
  const lenient = await getModelConfig(store, "fake-judge-lenient");
  const strict = await getModelConfig(store, "fake-judge-strict");
  // The same provider, model and parameters: only the options differ.
  assert.equal(lenient.model, strict.model);
  assert.deepEqual(lenient.params, strict.params);
  assert.notDeepEqual(lenient.options, strict.options);
  const options = {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002"],
    adapterFor,
  };
  await experiment(store, { ...options, judge: "fake-judge-lenient" });
  const strictRun = await experiment(store, {
    ...options,
    judge: "fake-judge-strict",
  });
  // The generations were served from the cache; the strict judge was asked
  // about every output the lenient one judged.
  assert.equal(strictRun.runs[0]!.cache_hits, 6);
  assert.ok(calls.get("fake-judge-strict")! > 0);
  assert.equal(calls.get("fake-judge-strict"), calls.get("fake-judge-lenient"));
  const [a, b] = await Promise.all([
    scoreRun(
      store,
      (await experiment(store, {
        ...options,
        judge: "fake-judge-lenient",
      })).runs[0]!.run_id,
    ),
    scoreRun(store, strictRun.runs[0]!.run_id),
  ]);
  assert.ok(
    a.scorecard.aggregate!.estimate > b.scorecard.aggregate!.estimate,
    "the lenient judge scores higher",
  );
});

Deno.test("experiment() re-run of a jury experiment reproduces the first run's scorecard exactly", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const options = {
    task: "resume_matching",
    prompts: ["v3"],
    models: ["fake-fast"],
    jury: ["fake-judge-lenient", "fake-judge-strict"],
    cases: ["rm-001", "rm-002", "rm-003", "rm-004"],
  };
  const first = await experiment(store, options);
  const again = await experiment(store, options);
  assert.equal(again.runs[0]!.adapter_calls, 0);
  // Everything but the run's id, the latency, the calls this run sent (none:
  // all hits) and the money charged (cache hits cost nothing; what they would
  // have cost is compared; the cost per cell charged is 0 too).
  const strip = (card: Awaited<ReturnType<typeof scoreRun>>["scorecard"]) => {
    const { run: _run, latency_ms: _latency, attempts: _a, cost, ...rest } =
      card;
    const { generation: _g, judge: _j, total: _t, per_cell: _p, ...uncached } =
      cost;
    return { ...rest, uncached };
  };
  const a = await scoreRun(store, first.runs[0]!.run_id);
  const b = await scoreRun(store, again.runs[0]!.run_id);
  assert.deepEqual(strip(b.scorecard), strip(a.scorecard));
  // The jurors disagree: their agreement is not the perfect 1 that serving
  // one juror's answers to the other would give.
  const alphas = Object.values(a.scorecard.judge.jury!.dimensions).map((d) =>
    d.alpha
  );
  assert.ok(alphas.some((x) => x !== null && x < 1), JSON.stringify(alphas));
});
