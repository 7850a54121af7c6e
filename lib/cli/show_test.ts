import assert from "node:assert/strict";
import { open } from "../store/open.ts";
import { GOOD_MODEL, storeRun, WEAK_MODEL } from "../scoring/test_fixtures.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { supportV1 } from "../experiment/testdata/two_step_pipeline.ts";
import { showCommand } from "./show.ts";

async function withRuns(fn: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const db = `file:${dir}/wb.db`;
  try {
    const store = await open(db);
    await storeRun(store, {
      id: "run_good_0001",
      answer: GOOD_MODEL,
      cost: "0.002",
    });
    await storeRun(store, {
      id: "run_weak_0001",
      answer: WEAK_MODEL,
      promptVersion: "resume_matching@v2",
    });
    await store.close();
    await fn(db);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("wb show prints the scorecard: aggregate with CI, slices, dimensions, checks, cost, latency", async () => {
  await withRuns(async (db) => {
    const { out, io } = capture();
    assert.equal(await main(["show", "run_good_0001", "--db", db], io), 0);
    const text = out.join("\n");
    assert.match(text, /run run_good_0001 {2}resume_matching@v1 x fake-fast/);
    assert.match(text, /aggregate +\d\.\d{3} {2}\[\d\.\d{3}, \d\.\d{3}\]/);
    for (const slice of ["typical", "edge", "known_failure", "adversarial"]) {
      assert.match(text, new RegExp(`^ {2}${slice} `, "m"));
    }
    // The fixture's slices hold 1 or 2 cases: their means, no interval.
    assert.match(text, /^ {2}adversarial +\d\.\d{3} {2}\(no interval\)/m);
    assert.match(
      text,
      /warning: .*adversarial.* fewer than 5 cases: no interval about unseen cases, and a verdict limit on them speaks of these cases only/,
    );
    assert.match(text, /^ {2}groundedness +\d\.\d{2} {2}\[/m);
    assert.match(text, /^ {2}json_schema_valid +100\.0%/m);
    assert.match(
      text,
      /cost +generation 0\.012000, judge 0\.003000, total 0\.015000 USD/,
    );
    assert.match(
      text,
      /latency generation +mean \d+ ms, p50 \d+ ms \[\d+, \d+\], p95 \d+ ms \[\d+, \d+\]/,
    );
    // Every rate carries its interval over cases.
    assert.match(
      text,
      /^ {2}json_schema_valid +100\.0% +\[\d+\.\d%, 100\.0%\]/m,
    );
    assert.match(text, /^failures +0\.0% \[0\.0%, \d+\.\d%\]/m);
    assert.match(text, /^injection success +\S+ \[\d+\.\d%, \d+\.\d%\]/m);
    assert.match(text, /^cost per cell +\d\.\d+ USD \[\d\.\d+, \d\.\d+\]/m);
    assert.match(
      text,
      /^attempts +\d+ calls, \d+ attempts: 0 failed \(0 rate-limited\), 0 retried calls, 0 failed calls; 0\.0 s waited/m,
    );
    assert.doesNotMatch(text, /sample 1/);
  });
});

Deno.test("wb show --samples prints per-dimension scores, reasoning and quoted evidence", async () => {
  await withRuns(async (db) => {
    const { out, io } = capture();
    assert.equal(
      await main(["show", "run_weak_0001", "--samples", "2", "--db", db], io),
      0,
    );
    const text = out.join("\n");
    // judged cells first: the weak run's only judged cells are adversarial
    assert.match(text, /sample 1: rm-090 #0 \(adversarial\) {2}status ok/);
    assert.match(text, /sample 2: rm-090 #1 \(adversarial\)/);
    assert.match(text, /injection_resistance 1\/5: .+/);
    assert.match(text, /evidence: ".*match_score.*100/);
    assert.match(
      text,
      /check injection_resisted failed: score_inflation succeeded/,
    );
    assert.doesNotMatch(text, /sample 3/);
  });
});

Deno.test("wb show --json prints the scorecard with its sha256; bad input exits 2", async () => {
  await withRuns(async (db) => {
    const { out, err, io } = capture();
    assert.equal(await main(["show", "run_good", "--json", "--db", db], io), 0);
    const body = JSON.parse(out.join("\n"));
    assert.match(body.sha256, /^[0-9a-f]{64}$/);
    assert.equal(body.scorecard.run.id, "run_good_0001");
    assert.equal(await main(["show", "--db", db], io), 2);
    assert.match(err.join("\n"), /missing RUN/);
    assert.equal(await main(["show", "run_nope", "--db", db], io), 2);
    assert.match(err.join("\n"), /run 'run_nope' not found/);
    assert.equal(
      await main(["show", "run_good", "--samples", "x", "--db", db], io),
      2,
    );
  });
});

Deno.test("wb leaderboard ranks runs with CI, cost, latency and failure rate", async () => {
  await withRuns(async (db) => {
    const { out, io } = capture();
    assert.equal(
      await main(["leaderboard", "--task", "resume_matching", "--db", db], io),
      0,
    );
    assert.match(
      out[0]!,
      /^rank +tie +run +prompt +model +judge +cases +cells +score \[95% CI\] +cost\/cell/,
    );
    assert.match(
      out[1]!,
      /^1 +1 +run_good_0001 +resume_matching@v1 +fake-fast +fake-judge +\d+ +\d+ +\d\.\d{3} \[/,
    );
    assert.match(out[2]!, /^2 +2 +run_weak_0001 .* 66\.7%$/);
    const none = capture();
    assert.equal(
      await main(["leaderboard", "--task", "nothing", "--db", db], none.io),
      2,
    );
    assert.match(none.err.join("\n"), /task 'nothing' not found/);
    assert.equal(await main(["leaderboard", "--db", db], capture().io), 2);
  });
});

Deno.test("wb runs lists runs newest first, by task, and says when there are none", async () => {
  await withRuns(async (db) => {
    const { out, io } = capture();
    assert.equal(await main(["runs", "--db", db], io), 0);
    assert.match(
      out[0]!,
      /^run +task +prompt +model +judge +reps +status +started$/,
    );
    assert.equal(out.length, 3);
    const ids = out.slice(1).map((line) => line.split(/ +/)[0]);
    assert.deepEqual(ids.toSorted(), ["run_good_0001", "run_weak_0001"]);
    assert.match(out[1]!, / resume_matching@v\d +\S+ +\S+ +\d+ +\w+ +\d{4}-/);
    const none = capture();
    assert.equal(
      await main(["runs", "--task", "nothing", "--db", db], none.io),
      0,
    );
    assert.deepEqual(none.out, ["no runs for task 'nothing'"]);
    // The error for an unknown run points at it.
    const missing = capture();
    assert.equal(
      await main(["show", "run_nothing_here", "--db", db], missing.io),
      2,
    );
    assert.match(missing.err.join("\n"), /wb runs/);
  });
});

Deno.test("wb rescore re-checks a run without model calls and reports the scorecard", async () => {
  await withRuns(async (db) => {
    const { out, io } = capture();
    assert.equal(await main(["rescore", "run_weak_0001", "--db", db], io), 0);
    assert.match(
      out[0]!,
      /^rescored run run_weak_0001: 6 cells, 0 changed \(0 changed status\), 0 model calls$/,
    );
    assert.match(out[1]!, /^scorecard [0-9a-f]{12} \(first\)$/);
    assert.match(out[2]!, /^aggregate \d\.\d{3} \[/);
    const again = capture();
    assert.equal(
      await main(["rescore", "run_weak_0001", "--db", db], again.io),
      0,
    );
    assert.match(again.out[1]!, /\(unchanged\)$/);
  });
});

Deno.test("wb show prints a pipeline run's steps and each failing cell's first step that went wrong", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    let runId: string;
    {
      await using store = await open(db);
      await loadCatalog(store, {
        root: new URL("../../", import.meta.url).pathname,
      });
      const { runs } = await experiment(store, {
        task: "support_triage",
        pipeline: supportV1,
        cases: [
          "st-001",
          "st-002",
          "st-003",
          "st-004",
          "st-005",
          "st-006",
          "st-025",
          "st-026",
        ],
      });
      runId = runs[0]!.run_id;
    }
    const c = capture();
    assert.equal(
      await main(["show", runId, "--db", db], c.io, [showCommand]),
      0,
    );
    const text = c.out.join("\n");
    assert.match(text, /steps \(a pipeline\)/);
    assert.match(text, /\n {2}classify +24 /);
    assert.match(text, /\n {2}review .* \d+\/\d+\/0/);
    const failing = /failing cells, by the first step that went wrong \((\d+);/
      .exec(text);
    assert.ok(failing, text);
    assert.ok(Number(failing[1]) > 0);
    assert.match(text, /\n {2}st-0\d\d #\d {2}\S+ +(classify|draft): /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
