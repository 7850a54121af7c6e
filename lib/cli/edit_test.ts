import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { CASES, GOOD_MODEL, storeRun } from "../scoring/test_fixtures.ts";
import { scoreRun } from "../scoring/score_run.ts";
import { open } from "../store/open.ts";
import { listResults } from "../store/scores.ts";
import { listTraceEvents } from "../store/trace.ts";
import { getArtifact, writeArtifact } from "../trace/artifacts.ts";
import { Tracer } from "../trace/tracer.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

async function withStore(
  fn: (db: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    const store = await open(db);
    await storeRun(store, { id: "run_good_0001", answer: GOOD_MODEL });
    await store.close();
    await fn(db);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CASE = CASES[0]!.id;

Deno.test("wb edit --run --case records a correction bound to the result and receipt, and changes no stored output or score", async () => {
  await withStore(async (db) => {
    const before = await (async () => {
      await using store = await open(db);
      return {
        results: await listResults(store, "run_good_0001"),
        card: await scoreRun(store, "run_good_0001"),
      };
    })();
    const { io, out } = capture();
    const code = await main([
      "edit",
      "--run",
      "run_good_0001",
      "--case",
      CASE,
      "--repetition",
      "1",
      "--editor",
      "dana",
      "--reason",
      "Kubernetes is missing, the score is too high",
      "--text",
      '{"match_score": 35}',
      "--db",
      db,
    ], io);
    assert.equal(code, 0, out.join("\n"));
    const text = out.join("\n");
    assert.match(
      text,
      new RegExp(
        `corrected result res_\\S+ \\(run run_good_0001, case ${CASE} #1\\): result/res_\\S+ v2 by dana`,
      ),
    );
    assert.match(text, /unchanged; the correction scored separately/);
    assert.match(text, /json_schema_valid +pass +FAIL/);
    assert.match(text, /^\+\{"match_score": 35\}$/m);
    await using store = await open(db);
    // Nothing stored was changed: outputs, checks, the scorecard.
    assert.deepEqual(await listResults(store, "run_good_0001"), before.results);
    assert.equal(
      (await scoreRun(store, "run_good_0001")).sha256,
      before.card.sha256,
    );
    // The edit event names the result, its receipt and the receipt's hash.
    const cell = before.results.find((r) =>
      r.case_key === CASE && r.repetition === 1
    )!;
    const events = await listTraceEvents(store, "trace_run_good_0001");
    const edit = events.find((e) => e.type === "artifact_edited")!;
    assert.equal(edit.data.result_id, cell.id);
    assert.equal(edit.data.receipt_id, cell.generation_io_id);
    assert.match(String(edit.data.receipt_sha256), /^[0-9a-f]{64}$/);
    assert.equal(edit.data.editor, "dana");
    const original = await getArtifact(store, `result/${cell.id}`, {
      version: 1,
    });
    assert.equal(original.body, cell.output);
    assert.equal(original.created_by, "fake-fast");
    // A bundle of the run carries both versions, and the event's bindings
    // and chain verify (the fixture's task id is not a content hash, so
    // only the sections this change writes are asked about).
    const made = await bundle(store, { runs: ["run_good_0001"] });
    assert.equal(made.counts.artifacts, 2);
    const check = await verifyBundle(made.text!);
    assert.deepEqual(
      check.problems.filter((p) => p.section !== "tasks"),
      [],
    );

    // wb show lists it, and says the figures are the model's.
    const shown = capture();
    assert.equal(
      await main(["show", "run_good_0001", "--db", db], shown.io),
      0,
    );
    assert.match(
      shown.out.join("\n"),
      new RegExp(
        `corrections +1 by people .*\\n +${CASE} #1 +v2 by dana at \\S+: Kubernetes is missing`,
      ),
    );

    // --json: the shape docs/cli-json.md gives for wb edit --run --case.
    const json = capture();
    assert.equal(
      await main([
        "edit",
        "--run",
        "run_good_0001",
        "--case",
        CASE,
        "--repetition",
        "1",
        "--editor",
        "dana",
        "--reason",
        "the score is still too high",
        "--text",
        '{"match_score": 30}',
        "--json",
        "--db",
        db,
      ], json.io),
      0,
      json.err.join("\n"),
    );
    assert.equal(json.out.length, 1);
    const edited = JSON.parse(json.out[0]!);
    assert.deepEqual(Object.keys(edited).sort(), [
      "checks",
      "correction",
      "target",
    ]);
    assert.equal(edited.target, "result");
    assert.deepEqual(Object.keys(edited.correction).sort(), [
      "artifact",
      "case_key",
      "patch",
      "receipt_id",
      "repetition",
      "result_id",
      "run_id",
    ]);
    assert.equal(edited.correction.run_id, "run_good_0001");
    assert.equal(edited.correction.case_key, CASE);
    assert.equal(edited.correction.repetition, 1);
    assert.equal(edited.correction.artifact.version, 3);
    assert.equal(edited.correction.artifact.created_by, "dana");
    assert.match(edited.correction.patch, /^\+\{"match_score": 30\}$/m);
    assert.deepEqual(
      edited.checks.find((c: { name: string }) =>
        c.name === "json_schema_valid"
      ),
      { name: "json_schema_valid", stored: true, corrected: false },
    );
  });
});

Deno.test("wb edit --artifact adds a version by the editor and keeps the one before; --json prints it", async () => {
  await withStore(async (db) => {
    {
      await using store = await open(db);
      const tracer = await Tracer.start(store, {
        schema_version: 1,
        name: "reply",
        steps: [{ id: "draft" }],
      });
      await writeArtifact(tracer, {
        key: "reply/42",
        body: "We refund you.\n",
        createdBy: "model",
      });
    }
    const { io, out } = capture();
    assert.equal(
      await main([
        "edit",
        "--artifact",
        "reply/42",
        "--editor",
        "dana",
        "--reason",
        "no refund promised",
        "--text",
        "We will look into it.\n",
        "--db",
        db,
      ], io),
      0,
    );
    assert.match(
      out[0]!,
      /^reply\/42 v2 by dana \(trace trace_\S+\); v1 is kept$/,
    );
    // --json: the shape docs/cli-json.md gives for wb edit --artifact; the
    // same content again records nothing.
    const again = capture();
    assert.equal(
      await main([
        "edit",
        "--artifact",
        "reply/42",
        "--editor",
        "dana",
        "--reason",
        "no refund promised",
        "--text",
        "We will look into it.\n",
        "--json",
        "--db",
        db,
      ], again.io),
      0,
    );
    assert.equal(again.out.length, 1);
    const same = JSON.parse(again.out[0]!);
    assert.deepEqual(Object.keys(same).sort(), [
      "artifact",
      "recorded",
      "target",
    ]);
    assert.equal(same.target, "artifact");
    assert.equal(same.recorded, false);
    assert.deepEqual(Object.keys(same.artifact).sort(), [
      "body",
      "created_at",
      "created_by",
      "id",
      "key",
      "media_type",
      "parent_id",
      "sha256",
      "step",
      "trace_id",
      "version",
    ]);
    assert.equal(same.artifact.version, 2);
    assert.equal(same.artifact.body, "We will look into it.\n");
    const third = capture();
    assert.equal(
      await main([
        "edit",
        "--artifact",
        "reply/42",
        "--editor",
        "lee",
        "--reason",
        "warmer",
        "--text",
        "Thanks, we will look into it.\n",
        "--json",
        "--db",
        db,
      ], third.io),
      0,
    );
    const recorded = JSON.parse(third.out[0]!);
    assert.equal(recorded.recorded, true);
    assert.equal(recorded.artifact.version, 3);
    assert.equal(recorded.artifact.created_by, "lee");
    assert.equal(recorded.artifact.parent_id, same.artifact.id);
    await using store = await open(db);
    assert.equal(
      (await getArtifact(store, "reply/42", { version: 1 })).body,
      "We refund you.\n",
    );
    assert.equal(
      (await getArtifact(store, "reply/42", { version: 2 })).created_by,
      "dana",
    );
  });
});

Deno.test("wb edit refuses incomplete input and writes nothing", async () => {
  await withStore(async (db) => {
    const cases = [
      [[
        "--run",
        "run_good_0001",
        "--case",
        CASE,
        "--editor",
        "d",
        "--text",
        "x",
      ], /missing --reason/],
      [[
        "--run",
        "run_good_0001",
        "--case",
        "rm-999",
        "--editor",
        "d",
        "--reason",
        "r",
        "--text",
        "x",
      ], /has no cell for case 'rm-999' repetition 0: its cases are/],
      [
        ["--editor", "d", "--reason", "r", "--text", "x"],
        /name one thing to correct/,
      ],
      [[
        "--run",
        "run_good_0001",
        "--case",
        CASE,
        "--editor",
        "d",
        "--reason",
        "r",
      ], /--file F or --text T/],
    ] as const;
    for (const [args, message] of cases) {
      const { io, err } = capture();
      assert.equal(await main(["edit", ...args, "--db", db], io), 2);
      assert.match(err.join("\n"), message);
    }
    await using store = await open(db);
    const events = await listTraceEvents(store, "trace_run_good_0001");
    assert.equal(events.some((e) => e.type.startsWith("artifact_")), false);
  });
});
