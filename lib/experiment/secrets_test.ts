import { sql } from "kysely";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { bundle } from "../bundle/bundle.ts";
import { importBundle } from "../bundle/import_bundle.ts";
import { main } from "../cli/main.ts";
import { capture } from "../cli/_test_io.ts";
import {
  errorReply,
  openaiCompletion,
  startWireStub,
} from "../providers/_wire_stub.ts";
import { renderReport } from "../report/render_report.ts";
import { open } from "../store/open.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
// A key whose variable name and shape are nothing like a key's: only the
// model config's `api_key_env` says it is one.
const KEY_ENV = "WB_ECHO_ACCESS";
const KEY = "cafe1234-beef-5678-dead-9abc0def1234";

async function catalogWithEcho(dir: string, baseUrl: string): Promise<void> {
  await Deno.mkdir(`${dir}/prompts`, { recursive: true });
  await Deno.mkdir(`${dir}/datasets`);
  await new Deno.Command("cp", {
    args: ["-r", `${ROOT}/prompts/support_triage`, `${dir}/prompts/`],
  }).output();
  await Deno.copyFile(
    `${ROOT}/datasets/support_triage.jsonl`,
    `${dir}/datasets/support_triage.jsonl`,
  );
  const shipped = await Deno.readTextFile(`${ROOT}/models.yaml`);
  const echo = stringify({
    models: [{
      id: "echo",
      provider: "openai",
      model: "echo-1",
      base_url: baseUrl,
      api_key_env: KEY_ENV,
      params: { temperature: 0, max_tokens: 256 },
    }],
  }).replace(/^models:\n/, "");
  await Deno.writeTextFile(
    `${dir}/models.yaml`,
    shipped.replace(/^models:\n/m, `models:\n${echo}`),
  );
}

Deno.test("a key the model echoes is in no table, no database file, no bundle, no report and no CLI output, and the bundle re-imports into its own database", async () => {
  await using stub = startWireStub("openai", {
    plan(index, request) {
      const auth = request.headers.get("authorization") ?? "";
      // Every fourth call is refused with the key in the error text.
      if (index % 4 === 3) {
        return errorReply("openai", 401, {
          message: `Incorrect API key provided: ${auth}`,
        });
      }
      return openaiCompletion({
        content: JSON.stringify({
          category: "billing",
          priority: "medium",
          requires_human: false,
          suggested_reply: `Thanks! For the record, your key is ${
            auth.replace("Bearer ", "")
          }.`,
        }),
      });
    },
  });
  const dir = await Deno.makeTempDir();
  Deno.env.set(KEY_ENV, KEY);
  try {
    await catalogWithEcho(dir, stub.baseUrl);
    const db = `file:${dir}/wb.db`;
    const wb = async (...args: string[]) => {
      const io = capture();
      const code = await main([...args, "--db", db], io.io);
      return { code, text: [...io.out, ...io.err].join("\n") };
    };
    const outputs: string[] = [];
    const load = await wb("load", "--root", dir);
    assert.equal(load.code, 0, load.text);
    const run = await wb(
      "experiment",
      "--task",
      "support_triage",
      "--prompt",
      "v3",
      "--model",
      "echo",
      "--judge",
      "fake-judge",
      "--case",
      "st-001",
      "--case",
      "st-002",
      "--case",
      "st-003",
      "--quiet",
    );
    outputs.push(run.text);
    const runId = /run_[0-9a-f]+/.exec(run.text)![0];
    // The provider did see the key, and echoed it.
    assert.ok(
      stub.requests.some((r) =>
        r.headers.get("authorization") === `Bearer ${KEY}`
      ),
    );
    outputs.push((await wb("show", runId, "--samples", "9")).text);
    outputs.push((await wb("runs")).text);
    for (const text of outputs) assert.ok(!text.includes(KEY), text);

    await using store = await open(db);
    const tables = await sql.raw<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table'",
    ).execute(store.db);
    let rows = 0;
    for (const { name } of tables.rows) {
      const all = await sql.raw(`SELECT * FROM "${name}"`).execute(store.db);
      rows += all.rows.length;
      assert.ok(
        !JSON.stringify(all.rows).includes(KEY),
        `the key is in table ${name}`,
      );
    }
    const errors = await sql.raw<{ n: number }>(
      "SELECT count(*) AS n FROM model_io WHERE error LIKE '%Incorrect API key provided%'",
    ).execute(store.db);
    assert.ok(Number(errors.rows[0]!.n) > 0, "the refused calls are recorded");
    const made = await sql.raw<{ n: number }>(
      "SELECT count(*) AS n FROM results WHERE output LIKE '%your key is [secret removed]%'",
    ).execute(store.db);
    assert.ok(Number(made.rows[0]!.n) > 0, "the echoed outputs are stored");
    assert.ok(rows > 100);

    const exported = await bundle(store, { runs: [runId] });
    assert.ok(!exported.text!.includes(KEY));
    const { html } = await renderReport(exported.text!);
    assert.ok(!html.includes(KEY));
    const again = await importBundle(store, exported.text!);
    assert.deepEqual(again.differing, []);
    assert.equal(
      Object.values(again.inserted).reduce((a, b) => a + b, 0),
      0,
    );
    await store.close();
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith("wb.db")) continue;
      const bytes = new TextDecoder("latin1").decode(
        await Deno.readFile(`${dir}/${entry.name}`),
      );
      assert.ok(!bytes.includes(KEY), `the key is in ${entry.name}`);
    }
  } finally {
    Deno.env.delete(KEY_ENV);
    await Deno.remove(dir, { recursive: true });
  }
});
