// deno-lint-ignore-file no-console
/**
 * How often does the verdict err? `deno task verdict-sim` runs the task on
 * the fake provider twice with many repetitions (the model as is, and the
 * same model with `effect: {slice, delta}` injecting a regression in one
 * slice), then draws at least 200 seeded pairs of runs per setting from
 * those pools and prints, per mode and repetitions, the false rejection rate
 * of an unchanged candidate and the detection rate of the regressed one.
 * See docs/verdict.md for how to read the table.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import {
  CHECKS,
  experiment,
  listPromptVersions,
  loadCatalog,
  open,
  simulateVerdicts,
  type SimulationRow,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    task: { type: "string", default: "resume_matching" },
    prompt: { type: "string" },
    model: { type: "string", default: "fake-fast" },
    judge: { type: "string", default: "fake-judge" },
    slice: { type: "string", default: "adversarial" },
    delta: { type: "string", default: "-0.10" },
    pool: { type: "string", default: "20" },
    pairs: { type: "string", default: "200" },
    repetitions: { type: "string", default: "3,5,10" },
    seed: { type: "string", default: "1" },
    root: { type: "string", default: "." },
    markdown: { type: "string" },
  },
});

const repetitions = values.repetitions.split(",").map(Number);
const pool = Number(values.pool);
const pairs = Number(values.pairs);
const delta = Number(values.delta);
const seed = Number(values.seed);
if (
  [pool, pairs, delta, seed, ...repetitions].some((n) => !Number.isFinite(n))
) {
  console.error(
    "verdict-sim: --pool, --pairs, --delta, --seed and --repetitions take numbers",
  );
  Deno.exit(2);
}

// A scratch copy of the catalog whose models.yaml adds the regressed model.
const scratch = await Deno.makeTempDir({ prefix: "verdict_sim_" });
try {
  for (const dir of ["prompts", "datasets"]) {
    await copyDir(`${values.root}/${dir}`, `${scratch}/${dir}`);
  }
  const models = parse(
    await Deno.readTextFile(`${values.root}/models.yaml`),
  ) as { models: { id: string; options?: Record<string, unknown> }[] };
  const base = models.models.find((m) => m.id === values.model);
  if (!base) {
    console.error(`verdict-sim: no model '${values.model}' in models.yaml`);
    Deno.exit(2);
  }
  const regressedId = `${values.model}-regressed`;
  models.models.push({
    ...base,
    id: regressedId,
    options: { ...base.options, effect: { slice: values.slice, delta } },
  });
  await Deno.writeTextFile(`${scratch}/models.yaml`, stringify(models));

  await using store = await open(":memory:");
  await loadCatalog(store, { root: scratch, checks: CHECKS });
  const prompt = values.prompt ??
    `v${(await listPromptVersions(store, values.task)).at(-1)?.version}`;
  const started = performance.now();
  console.log(
    `pools: ${values.task} ${prompt} on ${values.model} and ${regressedId} (effect ${values.slice} ${delta}), ${pool} repetitions, judge ${values.judge}`,
  );
  const runs = await experiment(store, {
    task: values.task,
    prompts: [prompt],
    models: [values.model, regressedId],
    judge: values.judge,
    repetitions: pool,
    cache: "off",
  });
  const [poolRun, regressedRun] = runs.runs;
  const result = await simulateVerdicts(store, {
    pool: poolRun!.run_id,
    regressedPool: regressedRun!.run_id,
    pairs,
    repetitions,
    seed,
    onSetting: (done, total) =>
      console.error(`  ${done}/${total} settings simulated`),
  });
  const table = render(result.rows);
  const causes = result.rows.filter((r) => r.scenario === "unchanged")
    .filter((r) => r.mode !== "point").map((r) =>
      `  ${r.mode}, ${r.repetitions} reps: ${
        Object.entries(r.flagged).sort((a, b) => b[1] - a[1]).map((
          [name, count],
        ) => `${name} ${pct(count / r.pairs)}`).join(", ") || "nothing"
      }`
    );
  const lines = [
    `task ${result.task}, ${prompt}, ${values.model}; ${result.cases} cases; pools of ${result.pool_repetitions} repetitions; ${pairs} pairs per setting; seed ${seed}`,
    `regression injected: effect {slice: ${values.slice}, delta: ${delta}}; measured in the pools: ${
      Object.entries(result.pool_slice_deltas).map(([s, d]) =>
        `${s} ${d >= 0 ? "+" : ""}${d.toFixed(3)}`
      ).join(", ")
    }`,
    "",
    table,
    "",
    "false rejection = REJECTED on an unchanged candidate; false alarm = not APPROVED on it;",
    "detection = not APPROVED on the regressed candidate (REJECTED or INCONCLUSIVE).",
    "",
    "what flags an unchanged candidate (share of pairs in which each check failed or was inconclusive):",
    ...causes,
    `took ${((performance.now() - started) / 1000).toFixed(0)} s`,
  ];
  console.log(lines.join("\n"));
  if (values.markdown) {
    await Deno.writeTextFile(values.markdown, lines.join("\n") + "\n");
  }
} finally {
  await Deno.remove(scratch, { recursive: true });
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function render(rows: readonly SimulationRow[]): string {
  const out = [
    "| mode | reps | false rejection | false alarm | detection | regressed: rejected / inconclusive |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const modes = [...new Set(rows.map((r) => r.mode))];
  const reps = [...new Set(rows.map((r) => r.repetitions))];
  for (const mode of modes) {
    for (const n of reps) {
      const a = rows.find((r) =>
        r.mode === mode && r.repetitions === n && r.scenario === "unchanged"
      )!;
      const b = rows.find((r) =>
        r.mode === mode && r.repetitions === n && r.scenario === "regressed"
      )!;
      out.push(
        `| ${mode} | ${n} | ${pct(a.rejected_rate)} | ${
          pct(a.not_approved_rate)
        } | ${pct(b.not_approved_rate)} | ${pct(b.rejected_rate)} / ${
          pct(b.counts.INCONCLUSIVE / b.pairs)
        } |`,
      );
    }
  }
  return out.join("\n");
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (entry.isDirectory) {
      await copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    } else if (entry.isFile) {
      await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  }
}
