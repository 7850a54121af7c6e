/**
 * Bundle format 2: a cache hit is carried as a reference to the receipt it
 * reused, bound to it by that receipt's sha256; version 1 bundles (every
 * receipt whole) still verify and import.
 */
import assert from "node:assert/strict";
import { cachedRerun } from "./_test_fixture.ts";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import { open, type Store } from "../store/open.ts";
import { listReceipts } from "../store/scores.ts";
import { eachStore } from "../store/test_stores.ts";
import { bundle } from "./bundle.ts";
import { exportOtel } from "./export_otel.ts";
import { importBundle } from "./import_bundle.ts";
import { replayBundle } from "./replay_bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";
import { loadBundle } from "./_load.ts";
const DATA = new URL("./testdata/", import.meta.url);

type Doc = {
  version: number;
  sections: Record<string, Record<string, unknown>[]>;
  toc: Record<string, unknown>;
};

/** A store with a run and a fully cached re-run of it; the re-run's id and cache hits. */
async function cachedRun(
  store: Store,
): Promise<{ runId: string; hits: number }> {
  const again = await cachedRerun(store, {
    judge: "fake-judge",
    cases: ["st-001", "st-020"],
  });
  assert.equal(again.adapter_calls, 0);
  assert.ok(again.cache_hits >= 6);
  return { runId: again.run_id, hits: again.cache_hits };
}

Deno.test("bundle() carries a cache hit as a reference to the receipt it reused, and verifyBundle() checks the binding", async () => {
  await using store = await open(":memory:");
  const { runId, hits: hitCount } = await cachedRun(store);
  const made = await bundle(store, { runs: [runId] });
  const doc = JSON.parse(made.text!) as Doc;
  assert.equal(doc.version, 2);
  const receipts = doc.sections.receipts!;
  const hits = receipts.filter((r) => r.run_id === runId);
  assert.equal(hits.length, hitCount);
  const byId = new Map(receipts.map((r) => [r.id, r]));
  for (const hit of hits) {
    assert.ok(!("request" in hit) && !("response" in hit), "no bodies");
    const original = byId.get(hit.cached_from)!;
    assert.equal(hit.cached_sha256, original.sha256);
    assert.equal(original.cached_from, null);
    const { sha256, ...reference } = hit;
    assert.equal(contentHash(reference), sha256);
  }
  assert.deepEqual((await verifyBundle(made.text!)).problems, []);

  // The store reads each hit whole, as bundle readers do.
  const stored = new Map(
    (await listReceipts(store, runId)).map((r) => [r.id, r]),
  );
  const loaded = await loadBundle(made.text!);
  for (const receipt of loaded.sections.receipts) {
    if (receipt.run_id !== runId) continue;
    assert.deepEqual(receipt, stored.get(receipt.id as string));
  }

  // A hit naming another sha256 than its original's is found, even with
  // its own hash recomputed.
  const hit = hits[0]!;
  const { sha256: _, ...rest } = hit;
  const forged = { ...rest, cached_sha256: "0".repeat(64) };
  const tampered = made.text!.replace(
    canonicalize(hit),
    canonicalize({ ...forged, sha256: contentHash(forged) }),
  );
  assert.notEqual(tampered, made.text);
  const problems = (await verifyBundle(tampered)).problems;
  assert.ok(
    problems.some((p) =>
      p.record === hit.id &&
      /cached_sha256 differs from the sha256 of receipt/.test(p.message)
    ),
    JSON.stringify(problems),
  );
  assert.ok(
    !problems.some((p) =>
      p.record === hit.id && /does not match its own sha256/.test(p.message)
    ),
  );

  // A version 1 bundle carries every receipt whole.
  const v1 = made.text!.replace(/"version":2(,"integrity")/, '"version":1$1');
  assert.ok(
    (await verifyBundle(v1)).problems.some((p) =>
      /a version 1 bundle carries every receipt whole/.test(p.message)
    ),
  );
});

eachStore.test("importBundle() of a version 2 bundle with cache hits gives the same bundle back, and replay reads the hits whole", async ({ openStore }) => {
  await using store = await open(":memory:");
  const { runId, hits } = await cachedRun(store);
  const made = await bundle(store, { runs: [runId] });
  await using target = await openStore();
  const imported = await importBundle(target, made.text!);
  assert.equal(imported.inserted.receipts, 2 * hits, "hits and originals");
  const again = await bundle(target, { runs: [runId] });
  assert.equal(again.text, made.text);
  // A hit imported as a reference stores no row of bodies of its own.
  const row = await target.db.selectFrom("model_io").selectAll()
    .where("run_id", "=", runId).executeTakeFirstOrThrow();
  assert.equal(row.request_sha256, null);
  assert.equal(row.response_sha256, null);
  // Importing it again changes nothing.
  const twice = await importBundle(target, made.text!);
  assert.equal(twice.inserted.receipts, 0);
  assert.equal(twice.unchanged.receipts, 2 * hits);
  const replayed = await replayBundle(made.text!);
  assert.equal(replayed.identical, true);
  // The OpenTelemetry export gives a hit its original's usage.
  const otel = await exportOtel(made.text!);
  const tokens = otel.text!.trim().split("\n").flatMap((line) =>
    JSON.parse(line).resourceSpans.flatMap((
      r: { scopeSpans: { spans: { attributes: Attr[] }[] }[] },
    ) =>
      r.scopeSpans.flatMap((scope) =>
        scope.spans.flatMap((span) =>
          span.attributes.filter((a) => a.key === "gen_ai.usage.input_tokens")
        )
      )
    )
  );
  assert.equal(tokens.length, hits, "every hit's span has its usage");
});

type Attr = { key: string; value: unknown };

Deno.test("a version 1 bundle still verifies and imports, and re-exports as version 2 with the same records", async () => {
  const text = await Deno.readTextFile(
    new URL("pre_bodies.bundle.json", DATA),
  );
  assert.equal(JSON.parse(text).version, 1);
  assert.deepEqual((await verifyBundle(text)).problems, []);
  await using store = await open(":memory:");
  const imported = await importBundle(store, text);
  assert.equal(imported.inserted.receipts, 6);
  const made = await bundle(store, { comparison: "cmp_01" });
  const before = JSON.parse(text) as Doc;
  const after = JSON.parse(made.text!) as Doc;
  assert.equal(after.version, 2);
  assert.deepEqual(after.sections, before.sections);
  assert.deepEqual(after.toc, before.toc);
  assert.deepEqual((await verifyBundle(made.text!)).problems, []);
});
