import assert from "node:assert/strict";
import { join } from "node:path";
import { capture } from "./_test_io.ts";
import { initCommand } from "./init.ts";
import { UsageError } from "./command.ts";

const CHECKOUT = new URL("../../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);
const RUN_NOTEBOOKS = join(CHECKOUT, "scripts", "run_notebooks.ts");

/**
 * Runs a command in `cwd` with the environment less every WB_* variable (no
 * database, no --config from outside) and less INIT_CWD, which `deno task
 * test` sets to the checkout and a nested `deno task` keeps.
 */
async function sh(
  cwd: string,
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const env = Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([name]) =>
      !name.startsWith("WB_") && name !== "INIT_CWD"
    ),
  );
  const result = await new Deno.Command(cmd, {
    args,
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    out: decoder.decode(result.stdout),
    err: decoder.decode(result.stderr),
  };
}

/** `deno task wb ...` in the project, as its README says. */
async function wb(dir: string, ...args: string[]) {
  const result = await sh(dir, Deno.execPath(), ["task", "wb", ...args]);
  for (const arg of args) assert.notEqual(arg, "--config");
  return result;
}

async function jupyterWithDeno(): Promise<boolean> {
  try {
    const specs = await new Deno.Command("jupyter", {
      args: ["kernelspec", "list", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const parsed = JSON.parse(new TextDecoder().decode(specs.stdout)) as {
      kernelspecs?: Record<string, unknown>;
    };
    return specs.code === 0 && parsed.kernelspecs?.deno !== undefined;
  } catch {
    return false;
  }
}

function npmVersions(lockText: string): string[] {
  const lock = JSON.parse(lockText) as { npm?: Record<string, unknown> };
  return Object.keys(lock.npm ?? {}).sort();
}

Deno.test("wb init makes a project outside the checkout that runs the whole loop, notebook included, with no --config", async (t) => {
  const parent = await Deno.makeTempDir({ prefix: "wb_init_e2e_" });
  assert.ok(!parent.startsWith(`${CHECKOUT}/`));
  const dir = join(parent, "my_project");
  try {
    await t.step("init", async () => {
      const { out, io } = capture();
      const code = await initCommand.run([dir, "--task", "ticket_triage"], io);
      assert.equal(code, 0);
      assert.match(out.join("\n"), /linked from /);
      const config = JSON.parse(
        await Deno.readTextFile(join(dir, "deno.json")),
      );
      assert.deepEqual(config.links, [CHECKOUT]);
      assert.equal(
        config.imports["@llm-workbench/workbench"],
        "jsr:@llm-workbench/workbench@^0.1.0",
      );
      for (
        const file of [
          "prompts/ticket_triage/task.yaml",
          "prompts/ticket_triage/v1.yaml",
          "prompts/ticket_triage/v2.yaml",
          "datasets/ticket_triage.jsonl",
          "models.yaml",
          "notebooks/explore.ipynb",
          "README.md",
          "deno.lock",
        ]
      ) {
        assert.ok((await Deno.stat(join(dir, file))).isFile, file);
      }
    });

    await t.step("validate and load", async () => {
      const validated = await wb(dir, "validate");
      assert.equal(validated.code, 0, validated.err);
      assert.match(validated.out, /catalog at \. is valid/);
      assert.match(validated.out, /adversarial\s+2\s+20\.0%/);
      const loaded = await wb(dir, "load");
      assert.equal(loaded.code, 0, loaded.err);
      assert.match(loaded.out, /prompt versions added: v1, v2/);
    });

    let runs: string[] = [];
    await t.step("experiment on fake", async () => {
      const result = await wb(
        dir,
        "experiment",
        "--task",
        "ticket_triage",
        "--prompt",
        "v1",
        "--prompt",
        "v2",
        "--model",
        "fake-fast",
        "--judge",
        "fake-judge",
        "--quiet",
      );
      assert.equal(result.code, 0, result.err);
      runs = [...result.out.matchAll(/^(run_\w+)\s+ticket_triage@v\d/gm)]
        .map((m) => m[1]!);
      assert.equal(runs.length, 2);
      assert.match(result.out, /completed\s+30\s/);
    });

    let comparison = "";
    await t.step("compare", async () => {
      const result = await wb(
        dir,
        "compare",
        "--baseline",
        runs[0]!,
        "--candidate",
        runs[1]!,
        "--markdown",
        "verdict.md",
      );
      // APPROVED, REJECTED or INCONCLUSIVE are all verdicts; 2 is an error.
      assert.ok([0, 1, 3].includes(result.code), result.err);
      comparison = /comparison (cmp_\w+)/.exec(result.out)?.[1] ?? "";
      assert.notEqual(comparison, "");
      assert.match(
        await Deno.readTextFile(join(dir, "verdict.md")),
        /APPROVED|REJECTED|INCONCLUSIVE/,
      );
    });

    await t.step("bundle and report", async () => {
      const bundled = await wb(
        dir,
        "bundle",
        "--comparison",
        comparison,
        "-o",
        "bundle.json",
      );
      assert.equal(bundled.code, 0, bundled.err);
      const verified = await wb(dir, "verify", "bundle.json");
      assert.equal(verified.code, 0, verified.err);
      const reported = await wb(
        dir,
        "report",
        "bundle.json",
        "-o",
        "report.html",
      );
      assert.equal(reported.code, 0, reported.err);
      const html = await Deno.readTextFile(join(dir, "report.html"));
      assert.match(html, /ticket_triage@v2/);
    });

    await t.step("a script imports the toolkit by its name", async () => {
      await Deno.writeTextFile(
        join(dir, "count.ts"),
        [
          'import { listRuns, open } from "@llm-workbench/workbench";',
          'await using store = await open("file:workbench.db");',
          "console.log(`runs: ${(await listRuns(store)).length}`);",
        ].join("\n"),
      );
      const result = await sh(dir, Deno.execPath(), ["run", "-A", "count.ts"]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out.trim(), "runs: 2");
    });

    await t.step(
      "dependencies resolve to the toolkit's locked versions",
      async () => {
        const project = npmVersions(
          await Deno.readTextFile(join(dir, "deno.lock")),
        );
        const toolkit = npmVersions(
          await Deno.readTextFile(join(CHECKOUT, "deno.lock")),
        );
        assert.deepEqual(project, toolkit);
      },
    );

    const jupyter = await jupyterWithDeno();
    await t.step({
      name: "the notebook executes with every expected output",
      ignore: !jupyter && Deno.env.get("WB_REQUIRE_TOOLS") !== "1",
      fn: async () => {
        const result = await sh(dir, Deno.execPath(), [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-run",
          "--allow-env",
          RUN_NOTEBOOKS,
          "notebooks/explore.ipynb",
        ]);
        assert.equal(result.code, 0, `${result.out}\n${result.err}`);
        assert.match(result.out, /0 lost of 8 expected/);
      },
    });
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("wb init refuses a folder that is not empty and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wb_init_full_" });
  try {
    await Deno.writeTextFile(join(dir, "notes.txt"), "mine");
    await assert.rejects(
      () => initCommand.run([dir], capture().io),
      (error: unknown) =>
        error instanceof UsageError &&
        /is not an empty folder/.test(error.message),
    );
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left, ["notes.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wb init refuses a task name the catalog would refuse and leaves nothing behind", async () => {
  const parent = await Deno.makeTempDir({ prefix: "wb_init_bad_" });
  try {
    const { err, io } = capture();
    await assert.rejects(
      () => initCommand.run([join(parent, "p"), "--task", "Bad Name"], io),
      (error: unknown) =>
        error instanceof UsageError && /Bad Name/.test(error.message),
    );
    assert.match(err.join("\n"), /task name/);
    await assert.rejects(
      () => initCommand.run([join(parent, "q"), "--task", "../escape"], io),
      UsageError,
    );
    const left = [];
    for await (const entry of Deno.readDir(parent)) left.push(entry.name);
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
