import assert from "node:assert/strict";
import { writeFixture } from "../bundle/_test_fixture.ts";
import { main } from "../cli/main.ts";
import { capture } from "../cli/_test_io.ts";
import { NotFoundError } from "../errors.ts";
import { viewPromptHistory } from "../report/view_prompt_history.ts";
import { open } from "../store/open.ts";
import { promptHistory } from "./prompt_history.ts";

Deno.test("promptHistory() gives each version's author, note, hash, its verdict against the one before, and the aliases", async () => {
  await using store = await open(":memory:");
  const fixture = await writeFixture(store);
  const history = await promptHistory(store, "support_triage");
  assert.deepEqual(
    history.versions.map((v) => [v.id, v.author, v.note, v.previous]),
    [
      ["support_triage@v1", "ada", "first", null],
      [
        "support_triage@v2",
        "ada",
        "guardrail against injections",
        "support_triage@v1",
      ],
    ],
  );
  assert.deepEqual(history.versions[0]!.verdicts, []);
  assert.deepEqual(
    history.versions[1]!.verdicts.map((v) => [v.comparison_id, v.verdict]),
    [[fixture.comparison, "APPROVED"]],
  );
  assert.deepEqual(
    history.aliases.map((a) => [a.alias, a.prompt_version_id, a.gate_id]),
    [["production", "support_triage@v2", "gate_01"]],
  );
  assert.deepEqual(history.versions[1]!.aliases.map((a) => a.alias), [
    "production",
  ]);
  const text = viewPromptHistory(history).text;
  assert.match(text, /^v1 +ada .* first version +first$/m);
  assert.match(
    text,
    /^v2 \[production\] +ada .* APPROVED vs v1 \(cmp_01, \S+\) +guardrail against injections$/m,
  );
  assert.match(text, /^production -> v2 through gate gate_01, moved by /m);
  await assert.rejects(promptHistory(store, "nope"), NotFoundError);
});

Deno.test("wb history --task prints the history; an unknown task is a clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    {
      await using store = await open(db);
      await writeFixture(store);
    }
    const { io, out } = capture();
    assert.equal(
      await main(["history", "--task", "support_triage", "--db", db], io),
      0,
    );
    assert.match(out[0]!, /^prompt history of support_triage: 2 version\(s\)$/);
    assert.match(out.join("\n"), /APPROVED vs v1 \(cmp_01/);
    const json = capture();
    assert.equal(
      await main(
        ["history", "--task", "support_triage", "--json", "--db", db],
        json.io,
      ),
      0,
    );
    // The shape docs/cli-json.md gives for wb history.
    assert.equal(json.out.length, 1);
    const history = JSON.parse(json.out[0]!);
    assert.deepEqual(Object.keys(history).sort(), [
      "aliases",
      "task",
      "versions",
    ]);
    assert.equal(history.task, "support_triage");
    assert.equal(history.versions.length, 2);
    for (const version of history.versions) {
      assert.deepEqual(Object.keys(version).sort(), [
        "aliases",
        "author",
        "created_at",
        "id",
        "note",
        "previous",
        "sha256",
        "verdicts",
        "version",
      ]);
      assert.match(version.sha256, /^[0-9a-f]{64}$/);
    }
    const [v1, v2] = history.versions;
    assert.equal(v1.previous, null);
    assert.deepEqual(v1.verdicts, []);
    assert.equal(v2.previous, "support_triage@v1");
    assert.deepEqual(Object.keys(v2.verdicts[0]).sort(), [
      "baseline_run_id",
      "candidate_run_id",
      "comparison_id",
      "created_at",
      "model_config_id",
      "verdict",
    ]);
    assert.equal(v2.verdicts[0].verdict, "APPROVED");
    assert.deepEqual(v2.aliases, history.aliases);
    assert.deepEqual(Object.keys(history.aliases[0]).sort(), [
      "alias",
      "created_at",
      "gate_id",
      "moved_by",
      "prompt_version_id",
    ]);
    assert.equal(history.aliases[0].prompt_version_id, "support_triage@v2");
    const missing = capture();
    assert.equal(
      await main(["history", "--task", "nope", "--db", db], missing.io),
      2,
    );
    assert.match(missing.err.join("\n"), /task 'nope' not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
