import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { open } from "../store/open.ts";
import { simulateVerdicts } from "./simulate_verdicts.ts";

const ROOT = new URL("../../testdata/ticket_labels/", import.meta.url).pathname;

Deno.test("simulateVerdicts() reads a 2-dimension task's own dimensions and rejects a drop on each (ticket_labels on the fake)", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: ROOT });
  const { runs } = await experiment(store, {
    task: "ticket_labels",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    repetitions: 6,
    cache: "off",
  });
  const result = await simulateVerdicts(store, {
    pool: runs[0]!.run_id,
    pairs: 20,
    repetitions: [3],
    settle: false,
    seed: 1,
    scenarios: [
      {
        name: "label_correctness",
        kind: "dimension",
        dimension: "label_correctness",
        delta: -0.6,
      },
      { name: "safety", kind: "dimension", dimension: "safety", delta: -0.6 },
    ],
  });
  assert.deepEqual([...result.dimensions].sort(), [
    "label_correctness",
    "safety",
  ]);
  assert.deepEqual(result.slice_cases, {
    typical: 18,
    edge: 6,
    known_failure: 3,
    adversarial: 3,
  });
  for (const row of result.rows) {
    assert.ok(
      row.rejected_rate >= 0.9,
      `${row.scenario}: ${row.rejected_rate}`,
    );
  }
});
