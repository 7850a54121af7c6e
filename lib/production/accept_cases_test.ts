import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { ValidationError } from "../errors.ts";
import { getLatestDataset } from "../store/catalog.ts";
import { open } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import { productionCatalog, productionStream } from "./_test_utils.ts";
import { acceptCases } from "./accept_cases.ts";
import { scoreTraces } from "./score_traces.ts";
import { suggestCases } from "./suggest_cases.ts";

Deno.test("acceptCases() adds suggested production inputs as a new dataset version whose slice mix is still validated, sources linked", async () => {
  await using store = await open(":memory:");
  const root = await productionCatalog();
  await loadCatalog(store, { root });
  const stream = await productionStream(store, [
    { day: "2026-11-02", calls: 40, adversarial: 0.2 },
  ], { prompt: "v1" });
  await scoreTraces(store, { task: "support_triage", since: "2026-11-01" });
  const suggested = await suggestCases(store, {
    task: "support_triage",
    limit: 5,
  });
  assert.equal(suggested.considered, 40);
  assert.equal(suggested.proposals.length, 5);
  // The naive prompt answers in prose: every call fails its format checks.
  assert.ok(suggested.proposals.every((p) => p.why.includes("failed")));
  const first = suggested.proposals[0]!;
  assert.match(first.slice_reason, /nearest cases: st-\d+/);

  const before = await getLatestDataset(store, "support_triage");
  const file = join(root, "datasets/support_triage.jsonl");
  const text = await Deno.readTextFile(file);
  const accepted = await acceptCases(store, {
    task: "support_triage",
    receipts: [first.receipt_id],
    author: "priya.nair",
    slices: { [first.receipt_id]: "adversarial" },
    root,
    now: () => "2026-11-06T10:00:00.000Z",
  });
  assert.equal(accepted.previous_dataset_id, before.id);
  assert.notEqual(accepted.dataset_id, before.id);
  const after = await getLatestDataset(store, "support_triage");
  assert.equal(after.id, accepted.dataset_id);
  assert.equal(after.cases.length, 31);
  const added = after.cases.at(-1)!;
  assert.equal(added.id, `prod-${first.receipt_id}`);
  assert.equal(added.slice, "adversarial");
  assert.deepEqual(added.input, first.input);
  const source = stream.find((s) => s.receipt_id === first.receipt_id)!;
  assert.ok(source);
  assert.match(
    added.note!,
    new RegExp(
      `From production call ${first.receipt_id} \\(receipt sha256 [0-9a-f]{64}\\), accepted by priya.nair on 2026-11-06`,
    ),
  );
  const events = await listTraceEvents(store, accepted.trace_id);
  const linked = events.find((e) => e.type === "cases_accepted")!;
  assert.equal(linked.data["dataset_id"], accepted.dataset_id);
  assert.equal(linked.data["actor"], "priya.nair");
  assert.deepEqual(linked.data["cases"], [{
    case_id: added.id,
    slice: "adversarial",
    suggested_slice: accepted.added[0]!.suggested_slice,
    receipt_id: first.receipt_id,
    receipt_sha256: accepted.added[0]!.receipt_sha256,
  }]);

  // Two more adversarial cases break the task's slice mix (10%): the
  // catalog refuses the version, the file is restored, nothing is stored.
  const more = suggested.proposals.slice(1, 3).map((p) => p.receipt_id);
  const grown = await Deno.readTextFile(file);
  assert.equal(grown.split("\n").length, text.split("\n").length + 1);
  await assert.rejects(
    acceptCases(store, {
      task: "support_triage",
      receipts: more,
      author: "priya.nair",
      slices: Object.fromEntries(more.map((id) => [id, "adversarial"])),
      root,
    }),
    (e: unknown) =>
      e instanceof ValidationError &&
      /slice 'adversarial' has 6 of 33 cases/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(file), grown);
  assert.equal(
    (await getLatestDataset(store, "support_triage")).id,
    accepted.dataset_id,
  );
  // Accepting the same call twice is refused by name.
  await assert.rejects(
    acceptCases(store, {
      task: "support_triage",
      receipts: [first.receipt_id],
      author: "priya.nair",
      root,
    }),
    /already case "prod-io_/,
  );
});
