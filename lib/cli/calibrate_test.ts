import assert from "node:assert/strict";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { sha256Hex } from "../content/sha256.ts";
import { experiment } from "../experiment/experiment.ts";
import { listLabels } from "../store/labels.ts";
import { open } from "../store/open.ts";
import { listResults } from "../store/scores.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

async function withJudgedRun(
  fn: (db: string, runId: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const db = `file:${dir}/wb.db`;
  try {
    const store = await open(db);
    await loadCatalog(store);
    const result = await experiment(store, {
      task: "resume_matching",
      prompts: ["v3"],
      models: ["fake-fast"],
      judge: "fake-judge",
      cases: ["rm-001", "rm-019", "rm-025", "rm-028"],
    });
    await store.close();
    await fn(db, result.runs[0]!.run_id, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("wb label binds a label to the hash of the cell's output", async () => {
  await withJudgedRun(async (db, runId) => {
    const { out, io } = capture();
    const code = await main([
      "label",
      "--run",
      runId,
      "--case",
      "rm-019",
      "--repetition",
      "1",
      "--labeller",
      "sam",
      "--score",
      "accuracy=4",
      "--score",
      "grounding=2",
      "--note",
      "Spanish not in resume",
      "--db",
      db,
    ], io);
    assert.equal(code, 0);
    assert.match(
      out.join("\n"),
      /stored label lbl_[0-9a-f]{24} for resume_matching rm-019 #1/,
    );
    await using store = await open(db);
    const cell = (await listResults(store, runId)).find((c) =>
      c.case_key === "rm-019" && c.repetition === 1
    )!;
    const [label] = await listLabels(store, "resume_matching");
    assert.equal(label?.output_sha256, sha256Hex(cell.output!));
    assert.equal(label?.repetition, 1);
    assert.deepEqual(label?.scores, { accuracy: 4, grounding: 2 });
    assert.equal(label?.note, "Spanish not in resume");
  });
});

Deno.test("wb label refuses unknown dimensions, bad scores and missing cells", async () => {
  await withJudgedRun(async (db, runId) => {
    const args = ["label", "--run", runId, "--labeller", "sam", "--db", db];
    const run = async (extra: string[]) => {
      const { err, io } = capture();
      return { code: await main([...args, ...extra], io), err: err.join("\n") };
    };
    let r = await run(["--case", "rm-001", "--score", "empathy=3"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /'empathy' is not a rubric dimension/);
    r = await run(["--case", "rm-001", "--score", "accuracy=6"]);
    assert.equal(r.code, 2);
    r = await run(["--case", "rm-999", "--score", "accuracy=3"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /not found/);
  });
});

Deno.test("wb calibrate stores a labels file and prints the per-dimension table", async () => {
  await withJudgedRun(async (db, runId, dir) => {
    const store = await open(db);
    const cells = await listResults(store, runId);
    await store.close();
    const lines = cells.map((c, i) =>
      JSON.stringify({
        "case_id": c.case_key,
        repetition: c.repetition,
        "output_sha256": sha256Hex(c.output!),
        labeller: "sam",
        scores: {
          accuracy: 1 + (i % 5),
          grounding: 5 - (i % 3),
          completeness: 3,
          justification: 1 + (i % 4),
        },
        note: `label ${i}`,
      })
    );
    lines.push(JSON.stringify({
      "case_id": "rm-001",
      repetition: 0,
      "output_sha256": "f".repeat(64),
      labeller: "sam",
      scores: { accuracy: 3 },
    }));
    const file = `${dir}/resume_matching.labels.jsonl`;
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const { out, io } = capture();
    const args = [
      "calibrate",
      "--task",
      "resume_matching",
      "--judge",
      "fake-judge",
      "--labels",
      file,
      "--resamples",
      "100",
      "--db",
      db,
    ];
    assert.equal(await main(args, io), 0);
    const text = out.join("\n");
    assert.match(
      text,
      new RegExp(`${cells.length} of ${cells.length + 1} labels matched`),
    );
    assert.match(text, /^accuracy +\d+ +(-?\d\.\d\d \[|-)/m);
    for (const d of ["grounding", "completeness", "justification"]) {
      assert.match(text, new RegExp(`^${d} +${cells.length} `, "m"));
    }
    assert.match(text, /rows = person 1\.\.5, columns = judge 1\.\.5/);
    assert.match(
      text,
      /1 labels not matched:\n {2}lbl_[0-9a-f]+ output_changed/,
    );
    // A second run stores nothing new and prints JSON on request.
    const json = capture();
    assert.equal(await main([...args, "--json"], json.io), 0);
    const parsed = JSON.parse(json.out.join("\n"));
    assert.equal(parsed.matched, cells.length);
    assert.equal(parsed.dimensions.accuracy.n, cells.length);
    // An unknown judge is an error naming the known ones, not an empty table.
    const unknown = capture();
    const judgeAt = args.indexOf("fake-judge");
    const typo = args.with(judgeAt, "fake-jduge");
    assert.equal(await main(typo, unknown.io), 2);
    assert.match(unknown.err.join("\n"), /fake-jduge.*not found.*fake-judge/s);
  });
});

Deno.test("wb calibrate exits 3 when no label matches a judged output, with --json too", async () => {
  await withJudgedRun(async (db, _runId, dir) => {
    const file = `${dir}/resume_matching.labels.jsonl`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        "case_id": "rm-001",
        repetition: 0,
        "output_sha256": "f".repeat(64),
        labeller: "sam",
        scores: { accuracy: 3 },
      }) + "\n",
    );
    const args = [
      "calibrate",
      "--task",
      "resume_matching",
      "--judge",
      "fake-judge",
      "--labels",
      file,
      "--resamples",
      "100",
      "--db",
      db,
    ];
    assert.equal(await main(args, capture().io), 3);
    const json = capture();
    assert.equal(await main([...args, "--json"], json.io), 3);
    assert.equal(JSON.parse(json.out.join("\n")).matched, 0);
  });
});
