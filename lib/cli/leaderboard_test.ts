import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { leaderboard } from "../scoring/leaderboard.ts";
import { open } from "../store/open.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CASES = ["st-001", "st-002", "st-003", "st-020", "st-025", "st-028"];

Deno.test("leaderboard() never ranks a partial run or a run judged by another judge against the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    {
      await using store = await open(db);
      await loadCatalog(store, { root: ROOT });
      const base = {
        task: "support_triage",
        models: ["fake-fast"],
        judge: "fake-judge",
      };
      await experiment(store, { ...base, prompts: ["v2", "v5"], cases: CASES });
      // Three of the cases: a partial run, cheap and easy.
      await experiment(store, {
        ...base,
        prompts: ["v4"],
        cases: CASES.slice(0, 3),
      });
      // Judged by the lenient juror: its scores run higher.
      await experiment(store, {
        ...base,
        prompts: ["v3"],
        judge: "fake-judge-lenient",
        cases: CASES,
      });
      const rows = await leaderboard(store, "support_triage");
      assert.equal(rows.length, 4);
      // The two comparable runs share group 1, ranked 1 and 2.
      const first = rows.filter((r) => r.group === 1);
      assert.deepEqual(
        first.map((r) => r.prompt_version_id).sort(),
        ["support_triage@v2", "support_triage@v5"],
      );
      assert.deepEqual(first.map((r) => r.rank), [1, 2]);
      assert.ok(first.every((r) => r.cases === 6 && r.cells === 18));
      // Each other run is alone in its group, rank 1 of 1.
      const partial = rows.find((r) => r.prompt_version_id.endsWith("@v4"))!;
      const lenient = rows.find((r) => r.prompt_version_id.endsWith("@v3"))!;
      assert.equal(partial.rank, 1);
      assert.equal(lenient.rank, 1);
      assert.equal(new Set(rows.map((r) => r.group)).size, 3);
      assert.match(partial.group_label, /3 cases, judge fake-judge$/);
      assert.match(lenient.group_label, /6 cases, judge fake-judge-lenient$/);
      assert.equal(lenient.judge, "fake-judge-lenient");
      // The tie-breaker is cost per cell: generation cost over cells (to
      // 12 decimal places).
      for (const r of rows) {
        assert.ok(
          Math.abs(
            Number(r.cost_per_cell) - Number(r.generation_cost) / r.cells,
          ) < 1e-12,
        );
      }
    }
    const { out, io } = capture();
    assert.equal(
      await main(["leaderboard", "--task", "support_triage", "--db", db], io),
      0,
    );
    const text = out.join("\n");
    assert.match(
      text,
      /^group 1 of 3: dataset [0-9a-f]{12}, 6 cases, judge fake-judge \(ranked against its own runs only\)$/m,
    );
    assert.match(text, /^group \d of 3: .*3 cases, judge fake-judge /m);
    assert.match(text, /^group \d of 3: .*judge fake-judge-lenient /m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
