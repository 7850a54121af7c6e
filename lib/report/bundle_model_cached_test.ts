/** The report reads a version 2 bundle's cache hits whole, as the store does. */
import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { open } from "../store/open.ts";
import { listReceipts } from "../store/scores.ts";
import { bundleModel } from "./_bundle_model.ts";
import { parseBundleText } from "./_read_bundle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("bundleModel() of a cached run's bundle gives each cache hit its original's request, response, text and usage", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const options = {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["st-001", "st-020"],
  };
  await experiment(store, options);
  const rerun = (await experiment(store, options)).runs[0]!;
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
