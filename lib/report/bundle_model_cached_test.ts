/** The report reads a version 2 bundle's cache hits whole, as the store does. */
import assert from "node:assert/strict";
import { cachedRerun } from "../bundle/_test_fixture.ts";
import { bundle } from "../bundle/bundle.ts";
import { open } from "../store/open.ts";
import { listReceipts } from "../store/scores.ts";
import { bundleModel } from "./_bundle_model.ts";
import { parseBundleText } from "./_read_bundle.ts";

Deno.test("bundleModel() of a cached run's bundle gives each cache hit its original's request, response, text and usage", async () => {
  await using store = await open(":memory:");
  const rerun = await cachedRerun(store, { cases: ["st-001", "st-020"] });
  const { text } = await bundle(store, { runs: [rerun.run_id] });
  const doc = parseBundleText(text!);
  assert.ok(
    doc.sections.receipts.some((r) => "cached_sha256" in r),
    "the bundle carries references",
  );
  const view = bundleModel(doc).runs.find((r) => r.run.id === rerun.run_id)!;
  assert.equal(view.receipts.length, rerun.cache_hits);
  // The bundle lists receipts by id, the store by time then id: hits made
  // within one millisecond can differ in order, so compare them by id.
  const byId = (a: { id: string }, b: { id: string }) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  const stored = (await listReceipts(store, rerun.run_id)).sort(byId);
  assert.deepEqual(
    [...view.receipts].sort(byId).map((r) => [
      r.id,
      r.text,
      r.usage,
      r.request,
      r.response,
    ]),
    stored.map((r) => [r.id, r.text, r.usage, r.request, r.response]),
  );
  assert.ok(
    view.receipts.every((r) => r.text !== null && r.text !== undefined),
  );
});
