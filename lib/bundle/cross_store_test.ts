import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { compare } from "../compare/compare.ts";
import { experiment } from "../experiment/experiment.ts";
import { decideGate } from "../gate/decide_gate.ts";
import { evaluateGate } from "../gate/evaluate_gate.ts";
import { promote } from "../gate/promote.ts";
import { requestGate } from "../gate/request_gate.ts";
import { resolve } from "../gate/resolve.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { latestScorecard } from "../store/scores.ts";
import type { Store } from "../store/open.ts";
import { bothStores } from "../store/test_stores.ts";
import { bundle } from "./bundle.ts";
import { importBundle } from "./import_bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
/** Every bundle below is stamped with this time, so equal records give equal bytes. */
const now = () => "2026-02-01T00:00:00.000Z";

/** Each run's latest scorecard hash, by run id. */
async function scorecards(
  store: Store,
  runIds: readonly string[],
): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const id of runIds) out[id] = (await latestScorecard(store, id))?.sha256;
  return out;
}

bothStores.test("a bundle exported from PostgreSQL imports into a libSQL file and back, byte for byte", async ({ openPostgres, openLibsqlFile }) => {
  // The whole flow on PostgreSQL: catalog, two runs, a verdict, a gate, a promotion.
  await using origin = await openPostgres();
  await loadCatalog(origin, { root: ROOT });
  const { runs } = await experiment(origin, {
    task: "support_triage",
    prompts: ["v1", "v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-002", "st-003", "st-004"],
    repetitions: 3,
  });
  const runIds = runs.map((r) => r.run_id);
  const verdict = await compare(origin, {
    baseline: runIds[0]!,
    candidate: runIds[1]!,
  });
  const { gate } = await requestGate(origin, {
    task: "support_triage",
    version: 3,
    comparison: verdict.id,
    actor: "ann",
    policy: { accepted_verdicts: [verdict.verdict] },
  });
  await decideGate(origin, gate.id, {
    actor: "bob",
    decision: "approve",
    reason: "read the verdict",
  });
  await promote(origin, {
    task: "support_triage",
    alias: "production",
    version: 3,
    gate: gate.id,
    actor: "bob",
  });
  const exported = await bundle(origin, { comparison: verdict.id, now });
  const verified = await verifyBundle(exported.text!);
  assert.equal(verified.ok, true, verified.summary);
  assert.equal(verified.counts.runs, 2);
  assert.equal(verified.counts.results, 24);
  assert.equal(verified.counts.alias_moves, 1);

  // Into a libSQL file: the same records, so the same bundle, byte for byte.
  await using copy = await openLibsqlFile();
  const imported = await importBundle(copy, exported.text!);
  assert.equal(imported.sha256, exported.sha256);
  assert.deepEqual(imported.differing, []);
  const reexported = await bundle(copy, { comparison: verdict.id, now });
  assert.equal(reexported.sha256, exported.sha256);
  assert.equal(reexported.text, exported.text);
  // Importing it again changes nothing.
  const again = await importBundle(copy, exported.text!);
  assert.equal(Object.values(again.inserted).reduce((a, b) => a + b, 0), 0);

  // The copy computes the same scorecards and reaches the same verdict, and
  // its gate is approved with the alias where the origin moved it.
  const stored = await scorecards(origin, runIds);
  assert.deepEqual(await scorecards(copy, runIds), stored);
  for (const id of runIds) {
    assert.equal((await scoreRun(copy, id)).sha256, stored[id]);
  }
  const recompared = await compare(copy, {
    baseline: runIds[0]!,
    candidate: runIds[1]!,
  });
  assert.equal(recompared.verdict, verdict.verdict);
  assert.deepEqual(recompared.reasons, verdict.reasons);
  assert.deepEqual(recompared.checks, verdict.checks);
  assert.equal((await evaluateGate(copy, gate.id)).status, "approved");
  assert.equal(
    (await resolve(copy, "support_triage", "production")).version,
    3,
  );

  // And back into a new PostgreSQL database: still the same bundle.
  await using back = await openPostgres();
  await importBundle(back, reexported.text!);
  const roundTrip = await bundle(back, { comparison: verdict.id, now });
  assert.equal(roundTrip.text, exported.text);
  assert.equal((await evaluateGate(back, gate.id)).status, "approved");
});
