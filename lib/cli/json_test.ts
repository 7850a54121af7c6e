/**
 * `--json` of every command that prints data: each step runs a command as a
 * script would, parses its stdout as one JSON document and checks the fields
 * docs/cli-json.md promises, section by section.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "./commands.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
// CI sets WB_REQUIRE_TOOLS=1 (.ci/run): there a missing jq fails the test.
const jqMissing = await new Deno.Command("jq", { args: ["--version"] }).output()
  .then((o) => !o.success, () => true);
const required = Deno.env.get("WB_REQUIRE_TOOLS") === "1";
const CASES = ["st-001", "st-002", "st-003", "st-020", "st-025", "st-028"];

/** Runs `wb ARGV` and returns its exit code and its stdout parsed as JSON. */
async function wbJson(
  argv: string[],
): Promise<
  { code: number; json: Record<string, unknown>; err: string[]; text: string }
> {
  const { out, err, io } = capture();
  const code = await main([...argv, "--json"], io);
  assert.equal(out.length, 1, `one JSON document from wb ${argv.join(" ")}`);
  return { code, json: JSON.parse(out[0]!), err, text: out[0]! };
}

function isSha256(value: unknown): boolean {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

Deno.test("--json: every command that prints data prints one JSON document of its documented shape", async (t) => {
  const dir = await Deno.makeTempDir();
  const db = `file:${dir}/wb.db`;
  try {
    let runIds: string[] = [];
    let experimentOutput = "";
    let plannedRun = "";
    let comparisonId = "";
    const bundleFile = `${dir}/runs.json`;

    await t.step("wb validate --json", async () => {
      const { code, json } = await wbJson(["validate", "--root", ROOT]);
      assert.equal(code, 0);
      assert.equal(json.ok, true);
      assert.equal(json.root, ROOT);
      assert.deepEqual(json.issues, []);
      const tasks = json.tasks as {
        task: string;
        total: number;
        slices: Record<string, { count: number; share: number }>;
      }[];
      const triage = tasks.find((x) => x.task === "support_triage")!;
      assert.equal(triage.total, 30);
      assert.equal(
        Object.values(triage.slices).reduce((n, s) => n + s.count, 0),
        30,
      );
      // An invalid catalog: ok false, every issue with its file, exit 2.
      const bad = `${dir}/bad`;
      await Deno.mkdir(`${bad}/prompts/t`, { recursive: true });
      await Deno.writeTextFile(`${bad}/prompts/t/task.yaml`, "name: [\n");
      const invalid = await wbJson(["validate", "--root", bad]);
      assert.equal(invalid.code, 2);
      assert.equal(invalid.json.ok, false);
      const issues = invalid.json.issues as {
        file?: string;
        message: string;
      }[];
      assert.ok(issues.length > 0);
      assert.ok(issues.every((i) => typeof i.message === "string"));
      assert.ok(issues.some((i) => i.file?.startsWith(bad)));
    });

    await t.step("wb load --json", async () => {
      const { code, json } = await wbJson(["load", "--root", ROOT, "--db", db]);
      assert.equal(code, 0);
      assert.equal(json.changed, true);
      const tasks = json.tasks as { task: string; task_id: string }[];
      assert.ok(tasks.some((x) => x.task === "support_triage"));
      assert.ok(tasks.every((x) => isSha256(x.task_id)));
      const configs = json.model_configs as { id: string; status: string }[];
      assert.ok(configs.some((c) => c.id === "fake-fast"));
      const again = await wbJson(["load", "--root", ROOT, "--db", db]);
      assert.equal(again.json.changed, false);
    });

    await t.step("wb experiment --json", async () => {
      const { code, json, text } = await wbJson([
        "experiment",
        "--task",
        "support_triage",
        "--prompt",
        "v2",
        "--prompt",
        "v5",
        "--model",
        "fake-fast",
        "--judge",
        "fake-judge",
        ...CASES.flatMap((c) => ["--case", c]),
        "--quiet",
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.match(String(json.experiment_id), /^exp_/);
      const runs = json.runs as {
        run_id: string;
        prompt_version_id: string;
        status: string;
        cells: number;
        cost: string;
        scorecard_sha256: string;
      }[];
      assert.deepEqual(runs.map((r) => r.prompt_version_id), [
        "support_triage@v2",
        "support_triage@v5",
      ]);
      for (const run of runs) {
        assert.equal(run.status, "completed");
        assert.equal(run.cells, CASES.length * 3);
        assert.match(run.cost, /^\d+(\.\d+)?$/);
        assert.ok(isSha256(run.scorecard_sha256));
      }
      assert.deepEqual(json.unfinished_runs, []);
      runIds = runs.map((r) => r.run_id);
      experimentOutput = text;
    });

    await t.step({
      name:
        "the prompt-gate workflow reads the run ids from wb experiment --json with jq",
      ignore: jqMissing && !required,
      async fn() {
        if (jqMissing) throw new Error("WB_REQUIRE_TOOLS=1 but jq is missing");
        const workflow = await Deno.readTextFile(
          `${ROOT}docs/github-actions/prompt-gate.yml`,
        );
        const program =
          /run_of\(\) \{ echo "\$out" \| jq -r --arg pv "\$1" '([^']+)'; \}/
            .exec(workflow)?.[1];
        assert.ok(program, "the workflow's run_of() jq program");
        for (const [i, version] of ["v2", "v5"].entries()) {
          const child = new Deno.Command("jq", {
            args: ["-r", "--arg", "pv", `support_triage@${version}`, program],
            stdin: "piped",
            stdout: "piped",
          }).spawn();
          const writer = child.stdin.getWriter();
          await writer.write(new TextEncoder().encode(experimentOutput));
          await writer.close();
          const output = await child.output();
          assert.ok(output.success);
          assert.equal(
            new TextDecoder().decode(output.stdout).trim(),
            runIds[i],
          );
        }
      },
    });

    await t.step("wb runs --json", async () => {
      const { code, json } = await wbJson(["runs", "--db", db]);
      assert.equal(code, 0);
      const runs = json.runs as Record<string, unknown>[];
      assert.deepEqual(runs.map((r) => r.id).sort(), [...runIds].sort());
      for (const run of runs) {
        assert.deepEqual(Object.keys(run).sort(), [
          "created_at",
          "dataset_id",
          "experiment_id",
          "finished_at",
          "id",
          "judge_config_id",
          "model_config_id",
          "prompt_version_id",
          "repetitions",
          "status",
          "task",
        ]);
        assert.equal(run.task, "support_triage");
        assert.equal(run.judge_config_id, "fake-judge");
        assert.equal(run.repetitions, 3);
        assert.equal(run.status, "completed");
      }
      const none = await wbJson(["runs", "--task", "nothing", "--db", db]);
      assert.deepEqual(none.json, { runs: [] });
    });

    await t.step("wb show --json", async () => {
      const { code, json } = await wbJson(["show", runIds[0]!, "--db", db]);
      assert.equal(code, 0);
      assert.ok(isSha256(json.sha256));
      const scorecard = json.scorecard as { run: { id: string } };
      assert.equal(scorecard.run.id, runIds[0]);
    });

    await t.step("wb leaderboard --json", async () => {
      const { code, json } = await wbJson([
        "leaderboard",
        "--task",
        "support_triage",
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.equal(json.task, "support_triage");
      const rows = json.rows as {
        rank: number;
        run_id: string;
        tie_group: number;
        total_cost: string;
      }[];
      assert.deepEqual(rows.map((r) => r.run_id).sort(), [...runIds].sort());
      assert.deepEqual(rows.map((r) => r.rank).sort(), [1, 2]);
    });

    await t.step("wb rescore --json", async () => {
      const { code, json } = await wbJson(["rescore", runIds[0]!, "--db", db]);
      assert.equal(code, 0);
      assert.equal(json.run_id, runIds[0]);
      assert.equal(json.cells, CASES.length * 3);
      assert.equal(json.changed, 0);
      assert.ok(isSha256(json.sha256));
      assert.equal(json.sha256, json.previous_sha256);
    });

    await t.step("wb compare --json", async () => {
      const { code, json } = await wbJson([
        "compare",
        "--baseline",
        runIds[0]!,
        "--candidate",
        runIds[1]!,
        "--db",
        db,
      ]);
      assert.ok(["APPROVED", "REJECTED", "INCONCLUSIVE"].includes(
        String(json.verdict),
      ));
      // The exit code is the verdict's, as without --json.
      assert.equal(
        code,
        { APPROVED: 0, REJECTED: 1, INCONCLUSIVE: 3 }[String(json.verdict)],
      );
      assert.equal((json.baseline as { run_id: string }).run_id, runIds[0]);
      assert.equal((json.candidate as { run_id: string }).run_id, runIds[1]);
      comparisonId = String(json.id);
    });

    await t.step("wb summary --json", async () => {
      const { code, json } = await wbJson([
        "summary",
        comparisonId,
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.equal(json.source, "comparison");
      assert.equal(json.comparison_id, comparisonId);
      assert.match(String(json.verdict), /^(APPROVED|REJECTED|INCONCLUSIVE)$/);
      assert.match(String(json.markdown), /^#/m);
    });

    await t.step("wb bundle --json", async () => {
      const { code, json } = await wbJson([
        "bundle",
        ...runIds.flatMap((r) => ["--run", r]),
        "-o",
        bundleFile,
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.equal(json.file, bundleFile);
      assert.ok(isSha256(json.sha256));
      assert.equal(json.bytes, (await Deno.stat(bundleFile)).size);
      assert.equal((json.counts as { runs: number }).runs, 2);
      assert.equal(json.key_id, null);
    });

    await t.step("wb verify --json", async () => {
      const { code, json } = await wbJson(["verify", bundleFile]);
      assert.equal(code, 0);
      assert.equal(json.ok, true);
      assert.equal(json.file, bundleFile);
      assert.ok(isSha256(json.sha256));
      assert.deepEqual(json.problems, []);
      assert.equal(json.signature, "none");
      assert.equal(json.key_id, null);
      assert.equal((json.counts as { runs: number }).runs, 2);
      const wrong = await wbJson([
        "verify",
        bundleFile,
        "--expect",
        "0".repeat(64),
      ]);
      assert.equal(wrong.code, 1);
      assert.equal(wrong.json.ok, false);
      const problems = wrong.json.problems as {
        section: string | null;
        message: string;
        description: string;
      }[];
      assert.ok(problems.length > 0);
      assert.ok(problems.every((p) => p.description.length > 0));
    });

    await t.step("wb summary BUNDLE --json", async () => {
      const { code, json } = await wbJson(["summary", bundleFile]);
      assert.equal(code, 0);
      assert.equal(json.source, "bundle");
      assert.equal(json.ok, true);
      assert.ok(isSha256(json.sha256));
      assert.equal(typeof json.markdown, "string");
    });

    await t.step("wb import --json", async () => {
      const { code, json } = await wbJson([
        "import",
        bundleFile,
        "--db",
        `file:${dir}/imported.db`,
      ]);
      assert.equal(code, 0);
      assert.equal(json.file, bundleFile);
      assert.ok(isSha256(json.sha256));
      assert.equal((json.inserted as { runs: number }).runs, 2);
      assert.deepEqual(json.differing, []);
    });

    await t.step("wb diff --json", async () => {
      const other = `${dir}/one.json`;
      assert.equal(
        await main(
          ["bundle", "--run", runIds[0]!, "-o", other, "--db", db],
          capture().io,
        ),
        0,
      );
      const { code, json } = await wbJson(["diff", bundleFile, other]);
      assert.equal(code, 1);
      assert.equal(json.from, bundleFile);
      assert.equal(json.to, other);
      assert.equal((json.a as { ok: boolean }).ok, true);
      assert.ok(isSha256((json.b as { sha256: string }).sha256));
      assert.ok((json.changes as unknown[]).length > 0);
      const same = await wbJson(["diff", bundleFile, bundleFile]);
      assert.equal(same.code, 0);
      assert.deepEqual(same.json.changes, []);
    });
    await t.step("wb replay --json", async () => {
      const { code, json } = await wbJson(["replay", bundleFile]);
      assert.equal(code, 0);
      assert.equal(json.file, bundleFile);
      assert.equal(json.identical, true);
      const runs = json.runs as {
        run_id: string;
        cells: number;
        changed_cells: number;
        stored_sha256: string;
        replayed_sha256: string;
        figures: unknown[];
      }[];
      assert.deepEqual(runs.map((r) => r.run_id).sort(), [...runIds].sort());
      for (const run of runs) {
        assert.equal(run.cells, CASES.length * 3);
        assert.equal(run.changed_cells, 0);
        assert.equal(run.stored_sha256, run.replayed_sha256);
        assert.deepEqual(run.figures, []);
      }
    });

    await t.step("wb rerun --json", async () => {
      const { code, json } = await wbJson(["rerun", bundleFile]);
      assert.ok(isSha256(json.sha256));
      const runs = json.runs as {
        original_run_id: string;
        rerun_run_id: string;
        model: string;
        original_scorecard_sha256: string;
        rerun_scorecard_sha256: string;
        figures: { path: string; stored: unknown; replayed: unknown }[];
      }[];
      // Executed again, figures such as latency may move: exit 1 says so.
      assert.equal(code, runs.every((r) => r.figures.length === 0) ? 0 : 1);
      assert.deepEqual(
        runs.map((r) => r.original_run_id).sort(),
        [...runIds].sort(),
      );
      for (const run of runs) {
        assert.match(run.rerun_run_id, /^run_/);
        assert.notEqual(run.rerun_run_id, run.original_run_id);
        assert.equal(run.model, "fake-fast");
        assert.equal(run.original_scorecard_sha256.length, 64);
        assert.ok(isSha256(run.rerun_scorecard_sha256));
        for (const figure of run.figures) {
          assert.equal(typeof figure.path, "string");
          assert.notDeepEqual(figure.stored, figure.replayed);
        }
      }
    });

    await t.step("wb keygen --json", async () => {
      const key = `${dir}/signing`;
      const { code, json } = await wbJson(["keygen", "-o", key]);
      assert.equal(code, 0);
      assert.deepEqual(json.private_key_file, key);
      assert.deepEqual(json.public_key_file, `${key}.pub`);
      assert.equal(typeof json.key_id, "string");
      const signed = `${dir}/signed.json`;
      const bundled = await wbJson([
        "bundle",
        "--run",
        runIds[0]!,
        "-o",
        signed,
        "--sign",
        key,
        "--db",
        db,
      ]);
      assert.equal(bundled.json.key_id, json.key_id);
    });

    await t.step("wb label --json", async () => {
      const { code, json } = await wbJson([
        "label",
        "--run",
        runIds[0]!,
        "--case",
        CASES[0]!,
        "--repetition",
        "1",
        "--labeller",
        "sam",
        "--score",
        "correctness=4",
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.equal(json.task, "support_triage");
      assert.equal(json.inserted, 1);
      const [label] = json.labels as {
        id: string;
        case_id: string;
        repetition: number;
        output_sha256: string;
        scores: Record<string, number>;
      }[];
      assert.equal(label?.case_id, CASES[0]);
      assert.equal(label?.repetition, 1);
      assert.ok(isSha256(label?.output_sha256));
      assert.deepEqual(label?.scores, { correctness: 4 });
      const again = await wbJson([
        "label",
        "--task",
        "support_triage",
        "--file",
        await (async () => {
          const file = `${dir}/labels.jsonl`;
          const { case_id, repetition, output_sha256, scores } = label!;
          await Deno.writeTextFile(
            file,
            JSON.stringify({
              case_id,
              repetition,
              output_sha256,
              labeller: "sam",
              scores,
            }) + "\n",
          );
          return file;
        })(),
        "--db",
        db,
      ]);
      assert.equal(again.code, 0);
      assert.equal(again.json.inserted, 0);
      assert.equal((again.json.labels as unknown[]).length, 1);
    });

    await t.step("wb experiment --plan-only --json", async () => {
      const { code, json } = await wbJson([
        "experiment",
        "--task",
        "support_triage",
        "--prompt",
        "v3",
        "--model",
        "fake-fast",
        "--case",
        "st-001",
        "--plan-only",
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.match(String(json.experiment_id), /^exp_/);
      const runs = json.runs as { run_id: string; status: string }[];
      assert.equal(runs.length, 1);
      assert.match(runs[0]!.run_id, /^run_/);
      assert.equal(runs[0]!.status, "planned");
      plannedRun = runs[0]!.run_id;
    });

    await t.step("wb worker --json", async () => {
      const { code, json } = await wbJson([
        "worker",
        "--run",
        plannedRun,
        "--quiet",
        "--db",
        db,
      ]);
      assert.equal(code, 0);
      assert.equal(json.run_id, plannedRun);
      assert.equal(json.run_status, "completed");
      assert.equal(json.closed_run, true);
      assert.equal(json.committed, 3);
      assert.equal(typeof json.worker_id, "string");
      assert.ok(isSha256(json.scorecard_sha256));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs/cli-json.md has one section per command that offers --json, and no other", async () => {
  const doc = await Deno.readTextFile(`${ROOT}docs/cli-json.md`);
  const sections = [...doc.matchAll(/^## wb ([a-z-]+)$/gm)].map((m) => m[1]);
  const offering = COMMANDS.filter((c) => /\[--json\]|--json /.test(c.usage))
    .map((c) => c.name);
  assert.deepEqual([...sections].sort(), [...offering].sort());
});
