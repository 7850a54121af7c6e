// deno-lint-ignore-file no-console
/**
 * `deno task bench`: how much time and memory the toolkit itself costs.
 * Runs each part of the benchmark in its own process (so each peak RSS is
 * that part's own), prints one table and writes `bench/results.json`. See
 * docs/bench.md for what each figure means and how to read it.
 *
 * Usage: deno task bench [--out bench/results.json] [--cases 10000]
 *   [--scale-cases 33340] [--keep]
 *
 * @module
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { buildCatalog } from "./_bench_catalog.ts";
import { databaseUrl, TIME } from "./_bench_util.ts";
import { benchPostgres } from "./_bench_postgres.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CONFIG = `${ROOT}deno.json`;
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
  "--allow-run",
  "--allow-net=127.0.0.1",
];

/** One figure of the table, with its target when it has one. */
interface Row {
  part: string;
  figure: string;
  value: number | string | boolean;
  unit: string;
  target?: string;
  met?: boolean;
}

type Figures = Record<string, unknown> & { peak_rss_bytes: number };

const RSS_MARK = "wb-bench-peak-rss-kib";

/**
 * Runs one part in its own process and returns its figures. Its peak RSS
 * is taken from GNU time, not from the part's own `ru_maxrss`: Deno starts
 * a process by a vfork-style spawn, so the child runs on this process's
 * memory until it execs, and Linux keeps that high-water mark in the
 * child's `ru_maxrss` (this process, having built a 33,340-case catalog,
 * would give every part its own peak).
 */
async function part(script: string, args: string[]): Promise<Figures> {
  const started = performance.now();
  const timed = await Deno.stat(TIME).then(() => true, () => false);
  const deno = [
    Deno.execPath(),
    "run",
    "--config",
    CONFIG,
    ...PERMISSIONS,
    `${ROOT}scripts/${script}`,
    ...args,
  ];
  const command = timed ? [TIME, "-f", `${RSS_MARK} %M`, ...deno] : deno;
  const output = await new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new Error(
      `Benchmark part ${script} ${args.join(" ")} failed:\n${stderr}`,
    );
  }
  const figures = JSON.parse(stdout.split("\n").at(-1)!) as Figures;
  const kib = stderr.match(new RegExp(`^${RSS_MARK} (\\d+)$`, "m"))?.[1];
  if (kib !== undefined) figures.peak_rss_bytes = Number(kib) * 1024;
  else {
    console.error(
      `  (no ${TIME}: ${script}'s peak RSS may include this process's)`,
    );
  }
  console.error(
    `  ${figures.part}: done in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return figures;
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model ?? "unknown",
    cpu_cores: cpus.length,
    memory_bytes: Deno.systemMemoryInfo().total,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os} ${Deno.build.arch}`,
    date: new Date().toISOString(),
  };
}

async function runId(
  database: string,
  label: "first" | "last",
): Promise<string> {
  const { open } = await import("../lib/store/open.ts");
  await using store = await open(databaseUrl(database));
  const row = await store.db.selectFrom("runs").select("id")
    .orderBy("created_at", label === "first" ? "asc" : "desc").limit(1)
    .executeTakeFirstOrThrow();
  return row.id;
}

const MB = 1e6;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: `${ROOT}bench/results.json` },
    cases: { type: "string", default: "10000" },
    "scale-cases": { type: "string", default: "33340" },
    keep: { type: "boolean", default: false },
    "worker-cells": { type: "string", default: "2000" },
  },
});
const workerCells = Number(values["worker-cells"]);
const cases = Number(values.cases);
const scaleCases = Number(values["scale-cases"]);
const work = await Deno.makeTempDir({ prefix: "wb_bench_" });
const started = performance.now();
try {
  console.error(`Building catalogs in ${work}`);
  const catalogs = {
    overhead: await buildCatalog(`${work}/catalog_${cases}`, cases),
    scale: scaleCases > 0
      ? await buildCatalog(`${work}/catalog_${scaleCases}`, scaleCases)
      : undefined,
    latency: await buildCatalog(`${work}/catalog_300`, 300),
    serial: await buildCatalog(`${work}/catalog_60`, 60),
    rate: await buildCatalog(`${work}/catalog_100`, 100),
    resume: await buildCatalog(`${work}/catalog_2000`, 2000),
    openai: await buildCatalog(`${work}/catalog_1000`, 1000),
    workers: await buildCatalog(`${work}/catalog_workers`, workerCells / 4),
  };
  const db = (name: string) => `${work}/${name}.db`;

  // First, on a machine not yet busy with the other parts.
  console.error("9. CLI start-up");
  const cli = await part("_bench_cli.ts", [work]);

  console.error("1. Overhead");
  const overhead = await part("_bench_overhead.ts", [
    catalogs.overhead,
    db("overhead"),
    "overhead",
  ]);
  const cached = await part("_bench_overhead.ts", [
    catalogs.overhead,
    db("overhead"),
    "cached",
  ]);

  // The same run at about 3.3 times the size: memory must not grow with it.
  let scale: Figures | undefined;
  if (catalogs.scale !== undefined) {
    console.error(`1. Overhead at ${scaleCases * 3} cells`);
    scale = await part("_bench_overhead.ts", [
      catalogs.scale,
      db("scale"),
      "scale",
    ]);
    // Its database is about 2 GB and nothing else reads it.
    for (const suffix of ["", "-wal", "-shm", "-sent"]) {
      await Deno.remove(`${db("scale")}${suffix}`, { recursive: true })
        .catch(() => {});
    }
  }

  console.error("2. Concurrency efficiency");
  const concurrency = [
    await part("_bench_latency.ts", [catalogs.serial, db("c1"), "1"]),
    await part("_bench_latency.ts", [catalogs.latency, db("c8"), "8"]),
    await part("_bench_latency.ts", [catalogs.latency, db("c32"), "32"]),
  ];

  console.error("3. Rate limit");
  const rate = await part("_bench_latency.ts", [
    catalogs.rate,
    db("rate"),
    "32",
    "600",
  ]);

  console.error("4. Resume");
  const resume = await part("_bench_resume.ts", [
    catalogs.resume,
    db("resume"),
  ]);

  console.error("10. OpenAI adapter");
  const openai = await part("_bench_openai.ts", [
    catalogs.openai,
    db("openai"),
    "8",
  ]);
  const openaiLatency = await part("_bench_openai.ts", [
    catalogs.openai,
    db("openai_latency"),
    "32",
    "100",
  ]);

  console.error("5. Bundles");
  const run = await runId(db("overhead"), "first");
  const file = `${work}/overhead.bundle.json`;
  const exported = await part("_bench_bundle.ts", [
    "export",
    db("overhead"),
    run,
    file,
  ]);
  const verified = await part("_bench_bundle.ts", ["verify", file]);
  const imported = await part("_bench_bundle.ts", [
    "import",
    file,
    db("imported"),
  ]);
  const limit = await part("_bench_bundle.ts", ["limit", db("overhead"), run]);
  await Deno.remove(file);

  console.error("6. Scorecard and compare");
  const scoring = await part("_bench_scoring.ts", [
    db("overhead"),
    run,
    await runId(db("overhead"), "last"),
  ]);

  console.error("7. PostgreSQL store, 8. Workers");
  const server = await benchPostgres();
  let postgres: {
    description: string;
    overhead: Figures;
    exported: Figures;
    workers: Figures[];
  } | { missing: string };
  if ("missing" in server) {
    console.error(`  skipped: ${server.missing}`);
    postgres = server;
  } else {
    try {
      const pgOverhead = await part("_bench_overhead.ts", [
        catalogs.overhead,
        await server.create("wb_bench_overhead"),
        "postgres_overhead",
      ]);
      const pgExported = await part("_bench_bundle.ts", [
        "export",
        server.database("wb_bench_overhead"),
        String(pgOverhead.run_id),
        `${work}/postgres.bundle.json`,
      ]);
      await Deno.remove(`${work}/postgres.bundle.json`);
      const workers: Figures[] = [];
      for (const count of [1, 2, 4]) {
        workers.push(
          await part("_bench_workers.ts", [
            catalogs.workers,
            await server.create(`wb_bench_workers_${count}`),
            String(count),
            String(workerCells),
          ]),
        );
      }
      postgres = {
        description: server.description,
        overhead: pgOverhead,
        exported: pgExported,
        workers,
      };
    } finally {
      await server.stop();
    }
  }

  const n = (x: unknown) => Number(x);
  const postgresRows = (): Row[] => {
    if ("missing" in postgres) {
      return [{
        part: "7 postgres",
        figure: "skipped",
        value: postgres.missing,
        unit: "",
      }];
    }
    const { overhead: pgo, exported: pge, workers } = postgres;
    const one = n(workers[0]!.cells_per_second);
    return [
      {
        part: "7 postgres",
        figure:
          `cells per second written (wall, as part 1; libSQL file: ${overhead.cells_per_second})`,
        value: n(pgo.cells_per_second),
        unit: "/s",
      },
      {
        part: "7 postgres",
        figure:
          `cells per second of toolkit time (libSQL file: ${overhead.toolkit_cells_per_second})`,
        value: n(pgo.toolkit_cells_per_second),
        unit: "/s",
      },
      {
        part: "7 postgres",
        figure: `bundle export (libSQL file: ${exported.mb_per_second} MB/s)`,
        value: n(pge.mb_per_second),
        unit: "MB/s",
      },
      ...workers.flatMap((w): Row[] => [
        {
          part: `8 workers ${w.workers}`,
          figure:
            `wall / ideal (${w.cells} cells x 100 ms / (8 x ${w.workers}))`,
          value: n(w.ratio_to_ideal),
          unit: "",
          target: "<= 1.10",
          met: n(w.ratio_to_ideal) <= 1.1,
        },
        {
          part: `8 workers ${w.workers}`,
          figure: "cells per second / one worker's",
          value: Math.round((n(w.cells_per_second) / one) * 100) / 100,
          unit: "x",
          ...(w.workers === 4
            ? { target: ">= 3.5", met: n(w.cells_per_second) / one >= 3.5 }
            : {}),
        },
      ]),
    ];
  };

  const rss = (f: Figures) => Math.round(f.peak_rss_bytes / MB);
  /** Part 9: `wb help` and `wb runs` as a user runs them (scripts/_bench_cli.ts). */
  const cliRows = (f: Figures): Row[] =>
    (["help", "runs", "mod"] as const).flatMap((name) => {
      const c = f[name] as {
        command: string;
        wall_ms_median: number;
        cpu_ms_median: number;
        peak_rss_bytes_max: number;
      };
      // One decimal, and the target checked on the bytes: 70.3 MB is not
      // "70 MB, met".
      const mb = Math.round(c.peak_rss_bytes_max / MB * 10) / 10;
      // The targets are the CLI's; importing mod.ts is measured beside them.
      const target = name !== "mod";
      return [
        {
          part: "9 cli",
          figure: `${c.command}: wall time, fresh process (median)`,
          value: c.wall_ms_median,
          unit: "ms",
          ...(target ? { target: "<= 150", met: c.wall_ms_median <= 150 } : {}),
        },
        {
          part: "9 cli",
          figure: `${c.command}: CPU time, user + system (median)`,
          value: c.cpu_ms_median,
          unit: "ms",
        },
        {
          part: "9 cli",
          figure: `${c.command}: peak RSS (largest)`,
          value: mb,
          unit: "MB",
          ...(target
            ? { target: "<= 70", met: c.peak_rss_bytes_max <= 70 * MB }
            : {}),
        },
      ];
    });
  const limitRate = n(limit.stringify_webcrypto_mb_per_second);
  const rows: Row[] = [
    {
      part: "1 overhead",
      figure: "cells (cases x 3 repetitions)",
      value: n(overhead.cells),
      unit: "",
    },
    {
      part: "1 overhead",
      figure: "wall time",
      value: n(overhead.wall_ms),
      unit: "ms",
    },
    {
      part: "1 overhead",
      figure: "cells per second (wall, fake provider's own work included)",
      value: n(overhead.cells_per_second),
      unit: "/s",
    },
    {
      part: "1 overhead",
      figure: "cells per second of toolkit time",
      value: n(overhead.toolkit_cells_per_second),
      unit: "/s",
      target: ">= 5000",
      met: n(overhead.toolkit_cells_per_second) >= 5000,
    },
    {
      part: "1 overhead",
      figure: "toolkit time per model call",
      value: n(overhead.toolkit_us_per_call),
      unit: "us",
    },
    {
      part: "1 overhead",
      figure: `peak RSS, ${n(overhead.cells)} cells`,
      value: rss(overhead),
      unit: "MB",
      target: "< 250",
      met: rss(overhead) < 250,
    },
    {
      part: "1 cached",
      figure: "cells per second (all cache hits)",
      value: n(cached.cells_per_second),
      unit: "/s",
      target: ">= 10000",
      met: n(cached.cells_per_second) >= 10000,
    },
    {
      part: "1 cached",
      figure: "toolkit time per model call",
      value: n(cached.toolkit_us_per_call),
      unit: "us",
    },
    { part: "1 cached", figure: "peak RSS", value: rss(cached), unit: "MB" },
    ...(scale === undefined ? [] : [
      {
        part: "1 scale",
        figure: `peak RSS, ${n(scale.cells)} cells (${
          n(overhead.cells)
        } cells: ${rss(overhead)} MB)`,
        value: rss(scale),
        unit: "MB",
        target: `<= ${Math.round(rss(overhead) * 1.1)}`,
        met: rss(scale) <= rss(overhead) * 1.1,
      },
      {
        part: "1 scale",
        figure: "cells per second of toolkit time",
        value: n(scale.toolkit_cells_per_second),
        unit: "/s",
      },
    ]),
    ...concurrency.flatMap((c): Row[] => [
      {
        part: `2 concurrency ${c.concurrency}`,
        figure:
          `wall / ideal (${c.model_calls} calls x 100 ms / ${c.concurrency})`,
        value: n(c.ratio_to_ideal),
        unit: "",
      },
      {
        part: `2 concurrency ${c.concurrency}`,
        figure: `wall / whole rounds (${
          Math.ceil(n(c.model_calls) / n(c.concurrency))
        } rounds x 100 ms)`,
        value: n(c.ratio_to_whole_rounds_ideal),
        unit: "",
        target: "<= 1.05",
        met: n(c.ratio_to_whole_rounds_ideal) <= 1.05,
      },
      {
        part: `2 concurrency ${c.concurrency}`,
        figure:
          `wall / ideal at the latency the timers gave (${c.actual_latency_ms} ms)`,
        value: n(c.ratio_to_actual_ideal),
        unit: "",
      },
      {
        part: `2 concurrency ${c.concurrency}`,
        figure: `wall / whole rounds at that latency (${
          Math.ceil(n(c.model_calls) / n(c.concurrency))
        } rounds of ${c.concurrency})`,
        value: n(c.ratio_to_rounds_ideal),
        unit: "",
      },
    ]),
    {
      part: "3 rate limit",
      figure: "achieved requests per minute (limit 600)",
      value: n(rate.achieved_rpm),
      unit: "/min",
    },
    {
      part: "3 rate limit",
      figure: "achieved / limit",
      value: n(rate.achieved_to_limit),
      unit: "",
      target: "0.95..1.00",
      met: n(rate.achieved_to_limit) >= 0.95 &&
        n(rate.achieved_to_limit) <= 1.0,
    },
    {
      part: "3 rate limit",
      figure: "most calls started in one second (limit allows 10)",
      value: n(rate.busiest_second_calls),
      unit: "",
    },
    {
      part: "3 rate limit",
      figure: "gap between call starts: mean / smallest (limit: 100 ms)",
      value: `${rate.mean_gap_ms} / ${rate.min_gap_ms}`,
      unit: "ms",
    },
    {
      part: "4 resume",
      figure: `cells committed before the kill (of ${resume.cells})`,
      value: n(resume.committed_before_kill),
      unit: "",
    },
    {
      part: "4 resume",
      figure: "resume: time to the first model call",
      value: n(resume.resume_to_first_call_ms),
      unit: "ms",
    },
    {
      part: "4 resume",
      figure: "resume: whole session",
      value: n(resume.resume_ms),
      unit: "ms",
    },
    {
      part: "4 resume",
      figure: "committed cells called again",
      value: n(resume.committed_cells_called_again),
      unit: "",
      target: "0",
      met: n(resume.committed_cells_called_again) === 0,
    },
    {
      part: "4 resume",
      figure: "every cell once, trace chain intact",
      value: resume.results_after === resume.cells &&
        resume.distinct_cells_after === resume.cells &&
        resume.trace_chain_intact === true,
      unit: "",
    },
    {
      part: "5 bundle",
      figure: "bundle size",
      value: Math.round(n(exported.bytes) / MB),
      unit: "MB",
    },
    {
      part: "5 bundle",
      figure: "export",
      value: n(exported.mb_per_second),
      unit: "MB/s",
    },
    {
      part: "5 bundle",
      figure: "verify",
      value: n(verified.mb_per_second),
      unit: "MB/s",
    },
    {
      part: "5 bundle",
      figure: "import",
      value: n(imported.mb_per_second),
      unit: "MB/s",
    },
    {
      part: "5 bundle",
      figure: "practical limit: JSON.stringify + WebCrypto sha256",
      value: limitRate,
      unit: "MB/s",
    },
    {
      part: "5 bundle",
      figure: "canonicalize-and-hash",
      value: n(limit.canonicalize_hash_mb_per_second),
      unit: "MB/s",
    },
    {
      part: "5 bundle",
      figure: "canonicalize-and-hash / limit",
      value: n(limit.ratio_to_limit),
      unit: "",
      target: ">= 0.5",
      met: n(limit.ratio_to_limit) >= 0.5,
    },
    {
      part: "5 bundle",
      figure: "export / verify / import vs limit",
      value: [exported, verified, imported].map((f) =>
        (n(f.mb_per_second) / limitRate).toFixed(2)
      ).join(" / "),
      unit: "",
    },
    ...[exported, verified, imported].map((f): Row => {
      const ratio = f.peak_rss_bytes / n(exported.bytes);
      return {
        part: "5 bundle",
        figure: `${
          String(f.part).replace("bundle_", "")
        }: peak RSS / bundle size`,
        value: Math.round(ratio * 100) / 100,
        unit: "x",
        target: "< 3",
        met: ratio < 3,
      };
    }),
    {
      part: "6 scoring",
      figure: `scorecard with intervals, ${scoring.results} results`,
      value: n(scoring.compute_scorecard_ms),
      unit: "ms",
      target: "< 2000",
      met: n(scoring.compute_scorecard_ms) < 2000,
    },
    {
      part: "6 scoring",
      figure: "scoreRun (read from the database, compute, store)",
      value: n(scoring.score_run_ms),
      unit: "ms",
    },
    {
      part: "6 scoring",
      figure: "compare: paired-bootstrap verdict of two such runs",
      value: n(scoring.compare_ms),
      unit: "ms",
      target: "< 2000",
      met: n(scoring.compare_ms) < 2000,
    },
    ...postgresRows(),
    ...cliRows(cli),
    {
      part: "10 openai",
      figure:
        `calls per second through the OpenAI adapter (${openai.model_calls} calls, concurrency 8, zero-latency stub)`,
      value: n(openai.calls_per_second),
      unit: "/s",
      target: ">= 2000",
      met: n(openai.calls_per_second) >= 2000,
    },
    {
      part: "10 openai",
      figure: "calls per second over the whole process (start-up included)",
      value: n(openai.process_calls_per_second),
      unit: "/s",
    },
    { part: "10 openai", figure: "peak RSS", value: rss(openai), unit: "MB" },
    {
      part: "10 openai 100ms",
      figure:
        `process wall / ideal, start-up included (${openaiLatency.model_calls} x 100 ms / 32)`,
      value: n(openaiLatency.process_ratio_to_ideal),
      unit: "",
      target: "<= 1.10",
      met: n(openaiLatency.process_ratio_to_ideal) <= 1.1,
    },
    {
      part: "10 openai 100ms",
      figure: "experiment() wall / ideal",
      value: n(openaiLatency.ratio_to_ideal),
      unit: "",
    },
  ];

  const results = {
    schema_version: 1,
    machine: machine(),
    total_seconds: Math.round((performance.now() - started) / 100) / 10,
    settings: {
      cases,
      repetitions: 3,
      latency_ms: 100,
      serial_cases: 60,
      rate_cases: 100,
      resume_cases: 2000,
      openai_cases: 1000,
      scale_cases: scaleCases,
    },
    table: rows,
    parts: {
      overhead,
      cached,
      concurrency,
      rate,
      resume,
      bundle: { export: exported, verify: verified, import: imported, limit },
      scoring,
      postgres,
      cli,
      openai,
      openai_latency: openaiLatency,
      scale,
    },
  };
  await Deno.mkdir(new URL(".", `file://${values.out}`), { recursive: true });
  await Deno.writeTextFile(
    values.out!,
    JSON.stringify(results, null, 2) + "\n",
  );

  const cell = (r: Row) => `${r.value}${r.unit ? ` ${r.unit}` : ""}`;
  const widths = [14, 62, 16, 11];
  const line = (cols: string[]) =>
    cols.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
  console.log(line(["part", "figure", "value", "target"]));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const r of rows) {
    console.log(line([
      r.part,
      r.figure,
      cell(r),
      r.target === undefined ? "" : `${r.target} ${r.met ? "met" : "MISSED"}`,
    ]));
  }
  const m = results.machine;
  console.log(
    `\n${m.cpu_model}, ${m.cpu_cores} cores, ${
      Math.round(Number(m.memory_bytes) / 2 ** 30)
    } GiB, Deno ${m.deno}; ${results.total_seconds} s. Written to ${values.out}`,
  );
} finally {
  if (!values.keep) await Deno.remove(work, { recursive: true });
  else console.error(`Kept ${work}`);
}
