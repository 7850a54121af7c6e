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
    assert.equal(JSON.parse(json.out.join("\n")).versions.length, 2);
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
