import assert from "node:assert/strict";
import { errorReply, startWireStub } from "../providers/_wire_stub.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("wb experiment prints each run's figures, and fails a run whose every call failed", async () => {
  const dir = await Deno.makeTempDir();
  // A key variable of this test's own (tests run in parallel).
  const keyVariable = "WB_CLI_EXPERIMENT_TEST_KEY";
  Deno.env.set(keyVariable, "test-key-not-a-secret");
  // An OpenAI-compatible server that refuses every key.
  await using stub = startWireStub("openai", {
    plan: () => errorReply("openai", 401, { message: "Incorrect API key" }),
  });
  try {
    for (const part of ["prompts", "datasets"]) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}${part}`, dir] })
        .output();
    }
    const models = await Deno.readTextFile(`${ROOT}models.yaml`);
    await Deno.writeTextFile(
      `${dir}/models.yaml`,
      models.replace(
        "\nprices:",
        `
  - id: refused
    provider: openai
    model: gpt-4o-mini
    base_url: ${stub.baseUrl}
    api_key_env: ${keyVariable}
    params: { temperature: 0, max_tokens: 64 }

prices:`,
      ),
    );
    const db = `file:${dir}/wb.db`;
    assert.equal(
      await main(["load", "--root", dir, "--db", db], capture().io),
      0,
    );
    const common = [
      "experiment",
      "--task",
      "support_triage",
      "--prompt",
      "v3",
      "--case",
      "st-001",
      "--repetitions",
      "1",
      "--allow-few-repetitions",
      "--quiet",
      "--db",
      db,
    ];
    const ok = capture();
    assert.equal(await main([...common, "--model", "fake-fast"], ok.io), 0);
    assert.match(ok.out[1]!, /^run +prompt +model +status +cells +call errors/);
    assert.match(
      ok.out[2]!,
      /^run_\S+ +support_triage@v3 +fake-fast +completed +1 +0 +0 +1 +0 +1 +0 \(0\) +0\.0 s +0\.\d+$/,
    );
    const refused = capture();
    assert.equal(await main([...common, "--model", "refused"], refused.io), 1);
    assert.match(refused.out[2]!, / refused +completed +1 +1 /);
    assert.match(
      refused.err.join("\n"),
      /every generation call of run run_\S+ failed/,
    );
    // --resume keeps the run's own task and versions.
    const runId = ok.out[2]!.split(/ +/)[0]!;
    const resume = capture();
    assert.equal(
      await main(
        ["experiment", "--resume", runId, "--task", "x", "--db", db],
        resume.io,
      ),
      2,
    );
    assert.match(
      resume.err[0]!,
      /--resume continues an experiment with its own --task/,
    );
  } finally {
    Deno.env.delete(keyVariable);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wb experiment --pipeline runs a module's pipeline exports, one run each", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    assert.equal(
      await main(["load", "--root", ROOT, "--db", db], capture().io),
      0,
    );
    const file = `${ROOT}lib/experiment/testdata/two_step_pipeline.ts`;
    const c = capture();
    const code = await main([
      "experiment",
      "--task",
      "support_triage",
      "--pipeline",
      `${file}#supportV1`,
      "--pipeline",
      `${file}#supportV2`,
      "--case",
      "st-001",
      "--quiet",
      "--db",
      db,
    ], c.io);
    assert.equal(code, 0, c.err.join("\n"));
    const text = c.out.join("\n");
    assert.match(text, /pipeline:support@1 .*completed/);
    assert.match(text, /pipeline:support@2 .*completed/);
    const missing = capture();
    await assert.rejects(
      main([
        "experiment",
        "--task",
        "support_triage",
        "--pipeline",
        `${file}#nope`,
        "--db",
        db,
      ], missing.io).then((code) => {
        if (code !== 0) throw new Error(missing.err.join("\n"));
      }),
      /no pipeline export 'nope'; its pipelines: supportV1, supportV2/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
