// deno-lint-ignore-file no-console
/**
 * Does the verdict decide? `deno task verdict-sim` runs a task's newest
 * prompt on the fake provider with many repetitions per case (a pool), and
 * again with the fake's `effect` option lowering each slice in turn (a
 * small change well inside the limits, and a clear regression), then draws
 * at least 200 seeded pairs of runs per scenario at the default
 * repetitions and compares them as `compare(..., { settle: true })` does,
 * drawing the repetitions settling adds from the pools. It prints, per
 * task, the targets of issue 12 beside the measured figures, then every
 * scenario in detail. See docs/verdict.md for how to read it.
 *
 *   deno task verdict-sim [--task T[,T2]] [--root DIR] [--pairs 200]
 *     [--repetitions 3] [--pool 60] [--budget 1.5] [--no-settle]
 *     [--markdown FILE]
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
  type SimulatedScenario,
  simulateVerdicts,
  type SimulateVerdictsResult,
  type SimulationRow,
  type Store,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    task: { type: "string" },
    prompt: { type: "string" },
    model: { type: "string", default: "fake-fast" },
    judge: { type: "string", default: "fake-judge" },
    pool: { type: "string", default: "60" },
    pairs: { type: "string", default: "200" },
    repetitions: { type: "string", default: "3" },
    budget: { type: "string", default: "1.5" },
    "no-settle": { type: "boolean", default: false },
    "slice-delta": { type: "string", default: "-0.20" },
    "small-delta": { type: "string", default: "-0.03" },
    "dimension-delta": { type: "string", default: "-0.6" },
    "judge-failure": { type: "string", default: "0.25" },
    seed: { type: "string", default: "1" },
    root: { type: "string", default: "." },
    markdown: { type: "string" },
  },
});

const numbers = {
  pool: Number(values.pool),
  pairs: Number(values.pairs),
  budget: Number(values.budget),
  sliceDelta: Number(values["slice-delta"]),
  smallDelta: Number(values["small-delta"]),
  dimensionDelta: Number(values["dimension-delta"]),
  judgeFailure: Number(values["judge-failure"]),
  seed: Number(values.seed),
};
const repetitions = values.repetitions.split(",").map(Number);
if (
  [...Object.values(numbers), ...repetitions].some((n) => !Number.isFinite(n))
) {
  console.error(
    "verdict-sim: --pool, --pairs, --repetitions, --budget, --slice-delta, --small-delta, --dimension-delta, --judge-failure and --seed take numbers",
  );
  Deno.exit(2);
}
const settle = !values["no-settle"];

type ModelEntry = { id: string; options?: Record<string, unknown> };

/** A scratch copy of the catalog whose models.yaml can grow effect variants. */
class Scratch {
  readonly dir: string;
  readonly #models: { models: ModelEntry[] } & Record<string, unknown>;
  readonly #base: ModelEntry;
  private constructor(
    dir: string,
    models: { models: ModelEntry[] } & Record<string, unknown>,
    base: ModelEntry,
  ) {
    this.dir = dir;
    this.#models = models;
    this.#base = base;
  }

  static async create(root: string, model: string): Promise<Scratch> {
    const dir = await Deno.makeTempDir({ prefix: "verdict_sim_" });
    for (const sub of ["prompts", "datasets"]) {
      await copyDir(`${root}/${sub}`, `${dir}/${sub}`);
    }
    const models = parse(
      await Deno.readTextFile(`${root}/models.yaml`),
    ) as { models: ModelEntry[] } & Record<string, unknown>;
    const base = models.models.find((m) => m.id === model);
    if (!base) {
      await Deno.remove(dir, { recursive: true });
      throw new Error(`verdict-sim: no model '${model}' in models.yaml`);
    }
    await Deno.writeTextFile(`${dir}/models.yaml`, stringify(models));
    return new Scratch(dir, models, base);
  }

  /** Adds a model config: the base model with an `effect` on one slice (once). */
  async addEffect(id: string, slice: string, delta: number): Promise<void> {
    if (this.#models.models.some((m) => m.id === id)) return;
    this.#models.models.push({
      ...this.#base,
      id,
      options: { ...this.#base.options, effect: { slice, delta } },
    });
    await Deno.writeTextFile(
      `${this.dir}/models.yaml`,
      stringify(this.#models),
    );
  }
}

const started = performance.now();
const scratch = await Scratch.create(values.root, values.model);
const sections: string[] = [];
try {
  await using store = await open(":memory:");
  const loaded = await loadCatalog(store, {
    root: scratch.dir,
    checks: CHECKS,
  });
  const tasks = values.task?.split(",") ?? loaded.tasks.map((t) => t.task);
  for (const task of tasks) {
    const text = await simulateTask(store, task);
    console.log(text);
    sections.push(text);
  }
  const took = `took ${((performance.now() - started) / 1000).toFixed(0)} s`;
  console.log(took);
  if (values.markdown) {
    await Deno.writeTextFile(values.markdown, sections.join("\n\n") + "\n");
  }
} finally {
  await Deno.remove(scratch.dir, { recursive: true });
}

/** A pool run: the task's prompt on a model, many repetitions, no cache. */
async function poolRun(
  store: Store,
  task: string,
  prompt: string,
  model: string,
): Promise<string> {
  const result = await experiment(store, {
    task,
    prompts: [prompt],
    models: [model],
    judge: values.judge,
    repetitions: numbers.pool,
    cache: "off",
  });
  return result.runs[0]!.run_id;
}

/**
 * A pool whose slice is lowered by about `target`: the fake's `effect`
 * rewrites a share of the slice's answers, and how much a rewritten answer
 * loses differs by task, so the requested delta is corrected once by the
 * ratio measured in a first pool.
 */
async function effectPool(
  store: Store,
  task: string,
  prompt: string,
  basePool: string,
  slice: string,
  target: number,
): Promise<{ run: string; measured: number; requested: number }> {
  let requested = target;
  let run = "";
  let measured = 0;
  for (let round = 0; round < 2; round++) {
    const id = `${values.model}-effect-${slice}-${
      String(requested).replace("-", "m")
    }`;
    await scratch.addEffect(id, slice, requested);
    await loadCatalog(store, { root: scratch.dir, checks: CHECKS });
    run = await poolRun(store, task, prompt, id);
    measured = (await poolDeltas(store, basePool, run))[slice] ?? 0;
    if (
      measured === 0 || Math.abs(measured - target) <= 0.1 * Math.abs(target)
    ) break;
    // The fake rewrites at most every answer (|delta| <= 0.4).
    requested = Math.max(-0.4, Math.min(0.4, requested * target / measured));
    requested = Math.round(requested * 1000) / 1000;
  }
  return { run, measured, requested };
}

/** A pool's slice means minus the base pool's. */
async function poolDeltas(
  store: Store,
  basePool: string,
  run: string,
): Promise<Record<string, number>> {
  const result = await simulateVerdicts(store, {
    pool: basePool,
    pairs: 1,
    repetitions: [1],
    settle: false,
    scenarios: [{ name: "probe", kind: "pool", pool: run }],
  });
  return result.pool_slice_deltas.probe ?? {};
}

async function simulateTask(store: Store, task: string): Promise<string> {
  const prompt = values.prompt ??
    `v${(await listPromptVersions(store, task)).at(-1)?.version}`;
  console.error(
    `${task}: pools of ${numbers.pool} repetitions (${prompt} on ${values.model}, judge ${values.judge})`,
  );
  const base = await poolRun(store, task, prompt, values.model);
  const { slice_cases: sizes, dimensions } = await simulateVerdicts(store, {
    pool: base,
    pairs: 0,
    scenarios: [],
  });
  const slices = Object.keys(sizes);
  const scenarios: SimulatedScenario[] = [
    { name: "unchanged", kind: "unchanged", expect: "APPROVED" },
  ];
  const effects: string[] = [];
  for (
    const [target, expect] of [
      [numbers.smallDelta, "APPROVED"],
      [numbers.sliceDelta, "REJECTED"],
    ] as const
  ) {
    for (const slice of slices) {
      const pool = await effectPool(store, task, prompt, base, slice, target);
      if (pool.measured === 0) continue;
      const short = Math.abs(pool.measured) < 0.9 * Math.abs(target);
      effects.push(
        `${slice} ${target}: effect ${pool.requested} measured ${
          signed(pool.measured)
        }${
          short && Math.abs(pool.requested) >= 0.4
            ? " (the fake's largest effect: short of the target)"
            : ""
        }`,
      );
      scenarios.push({
        name: `slice '${slice}' ${signed(target, 2)}`,
        kind: "pool",
        pool: pool.run,
        expect,
      });
    }
  }
  for (const dimension of dimensions) {
    scenarios.push({
      name: `dimension '${dimension}' ${signed(numbers.dimensionDelta, 1)}`,
      kind: "dimension",
      dimension,
      delta: numbers.dimensionDelta,
      expect: "REJECTED",
    });
  }
  scenarios.push({
    name: `judge failing on ${
      (numbers.judgeFailure * 100).toFixed(0)
    }% of cells`,
    kind: "judge_failure",
    share: numbers.judgeFailure,
    expect: "INCONCLUSIVE",
  });
  const smallest = slices.reduce((a, b) => sizes[a]! <= sizes[b]! ? a : b);
  scenarios.push(
    {
      name: `slice '${smallest}' exactly at its limit`,
      kind: "shift",
      slice: smallest,
      delta: -0.1,
    },
    {
      name: `slice 'typical' exactly at its limit`,
      kind: "shift",
      slice: "typical",
      delta: -0.1,
    },
  );
  if (dimensions[0]) {
    scenarios.push({
      name: `dimension '${dimensions[0]}' exactly at its limit`,
      kind: "shift",
      dimension: dimensions[0],
      delta: -0.25,
    });
  }
  const result = await simulateVerdicts(store, {
    pool: base,
    scenarios,
    pairs: numbers.pairs,
    repetitions,
    settle,
    budgetShare: numbers.budget,
    seed: numbers.seed,
    onSetting: (done, total) =>
      console.error(`  ${task}: ${done}/${total} scenarios simulated`),
  });
  return report(result, prompt, effects);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function signed(x: number, digits = 3): string {
  return `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`;
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function report(
  result: SimulateVerdictsResult,
  prompt: string,
  effects: readonly string[],
): string {
  const lines: string[] = [];
  for (const n of repetitions) {
    const rows = result.rows.filter((r) => r.repetitions === n);
    const find = (name: string) => rows.find((r) => r.scenario === name);
    const group = (prefix: string, suffix: string) =>
      rows.filter((r) =>
        r.scenario.startsWith(prefix) && r.scenario.endsWith(suffix)
      );
    const range = (
      list: readonly SimulationRow[],
      rate: (r: SimulationRow) => number,
    ) =>
      list.length === 0
        ? "n/a"
        : `${pct(Math.min(...list.map(rate)))} (worst of ${list.length}; best ${
          pct(Math.max(...list.map(rate)))
        })`;
    const unchanged = find("unchanged");
    const small = group("slice '", signed(numbers.smallDelta, 2));
    const large = group("slice '", signed(numbers.sliceDelta, 2));
    const dims = group("dimension '", signed(numbers.dimensionDelta, 1));
    const judge = rows.find((r) => r.scenario.startsWith("judge failing"));
    const all = rows.filter((r) => !r.scenario.includes("exactly"))
      .flatMap((r) => r.extra_calls).sort((a, b) => a - b);
    lines.push(
      `task ${result.task}, ${prompt} on ${values.model} judged by ${values.judge}; ${result.cases} cases; pools of ${result.pool_repetitions} repetitions; ${numbers.pairs} pairs per scenario at ${n} repetitions; ${
        settle
          ? `settling on (budget ${numbers.budget} x the two runs' calls)`
          : "settling off"
      }; seed ${numbers.seed}`,
      `slice changes through the fake's effect option (requested -> measured in the pools): ${
        effects.join("; ") || "none"
      }`,
      "",
      "| scenario | figure | target | measured |",
      "| --- | --- | --- | ---: |",
      `| unchanged candidate | APPROVED / REJECTED | >= 90% / <= 2% | ${
        unchanged
          ? `${pct(unchanged.approved_rate)} / ${pct(unchanged.rejected_rate)}`
          : "n/a"
      } |`,
      `| a change well inside the limits (one slice ${
        signed(numbers.smallDelta, 2)
      }, each slice in turn) | APPROVED | >= 85% | ${
        range(small, (r) => r.approved_rate)
      } |`,
      `| a clear slice regression (${
        signed(numbers.sliceDelta, 2)
      } on one slice, each slice in turn) | REJECTED | >= 90% | ${
        range(large, (r) => r.rejected_rate)
      } |`,
      `| a clear dimension regression (${
        signed(numbers.dimensionDelta, 1)
      } on one dimension, each in turn) | REJECTED | >= 90% | ${
        range(dims, (r) => r.rejected_rate)
      } |`,
      `| judge failing on ${
        (numbers.judgeFailure * 100).toFixed(0)
      }% of the candidate's cells | APPROVED | 0% | ${
        judge ? pct(judge.approved_rate) : "n/a"
      } |`,
      `| all of the above | extra calls spent settling, as a share of the two base runs | median <= 50%, max <= 150% | median ${
        pct(median(all))
      }, max ${pct(all.at(-1) ?? 0)} |`,
      "",
      "| scenario | approved | rejected | inconclusive | extra calls: median / max | looks (mean) | what held it (share of pairs) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
      ...rows.map((r) =>
        `| ${r.scenario} | ${pct(r.approved_rate)} | ${
          pct(r.rejected_rate)
        } | ${pct(r.inconclusive_rate)} | ${pct(median(r.extra_calls))} / ${
          pct(r.extra_calls.at(-1) ?? 0)
        } | ${
          (r.looks.reduce((s, x) => s + x, 0) / Math.max(1, r.looks.length))
            .toFixed(2)
        } | ${
          Object.entries(r.flagged).sort((a, b) => b[1] - a[1]).slice(0, 3)
            .map(([name, count]) => `${name} ${pct(count / r.pairs)}`)
            .join(", ") || "-"
        } |`
      ),
    );
  }
  return lines.join("\n");
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
