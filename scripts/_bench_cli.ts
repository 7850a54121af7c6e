// deno-lint-ignore-file no-console
/**
 * Benchmark part: `wb help` and `wb runs` as a user runs them. Each is a
 * fresh `deno run` of `lib/cli/main.ts` with the `wb` task's permissions, in
 * the checkout (so its deno.json and lock apply), under GNU time for the
 * child's peak RSS; wall time is measured around the child by this process.
 * `wb runs` reads a small database made first by `wb load` and a 60-cell
 * `wb experiment` on the fake provider. Then, the same way, a script that
 * imports the whole public API (`mod.ts`). One run of each is a warm-up (Deno's
 * module cache); the figures are the median wall time and the largest peak
 * RSS of the next `--repeat` runs.
 *
 * Usage: deno run -A scripts/_bench_cli.ts WORK_DIR [--repeat 10]
 * Prints progress to stderr and the figures as one JSON line on stdout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { peakRss, TIME } from "./_bench_util.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** The permissions of `deno task wb` (deno.json). */
const WB = [
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-net",
  "--allow-sys",
  `${ROOT}lib/cli/main.ts`,
];

/** One `wb` run: its wall time, the child's CPU time (user + system) and peak RSS. */
interface Sample {
  wall_ms: number;
  cpu_ms: number;
  peak_rss_bytes: number;
}

async function wb(
  args: string[],
  timed = true,
  command: readonly string[] = WB,
): Promise<Sample> {
  const started = performance.now();
  const output = await new Deno.Command(
    timed ? TIME : Deno.execPath(),
    {
      args: timed
        ? ["-f", "%M %U %S", Deno.execPath(), ...command, ...args]
        : [...command, ...args],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    },
  ).output();
  const wall = performance.now() - started;
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) {
    throw new Error(`wb ${args.join(" ")} failed:\n${stderr}`);
  }
  const [kb, user, system] = timed
    ? stderr.split("\n").at(-1)!.split(" ").map(Number)
    : [NaN, NaN, NaN];
  if (timed && ![kb, user, system].every(Number.isFinite)) {
    throw new Error(`${TIME} printed no peak RSS and CPU time: ${stderr}`);
  }
  return {
    wall_ms: wall,
    cpu_ms: (user! + system!) * 1000,
    peak_rss_bytes: kb! * 1024,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(
  args: string[],
  repeat: number,
  command: readonly string[] = WB,
  name = `wb ${args.join(" ")}`,
) {
  await wb(args, true, command); // warm-up
  const samples: Sample[] = [];
  for (let i = 0; i < repeat; i++) samples.push(await wb(args, true, command));
  return {
    command: name,
    runs: repeat,
    wall_ms_median: Math.round(median(samples.map((s) => s.wall_ms))),
    wall_ms_max: Math.round(Math.max(...samples.map((s) => s.wall_ms))),
    cpu_ms_median: Math.round(median(samples.map((s) => s.cpu_ms))),
    peak_rss_bytes_max: Math.max(...samples.map((s) => s.peak_rss_bytes)),
    samples,
  };
}

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { repeat: { type: "string", default: "10" } },
});
const work = positionals[0];
if (!work) throw new Error("usage: _bench_cli.ts WORK_DIR [--repeat N]");
const repeat = Number(values.repeat);
try {
  await Deno.stat(TIME);
} catch {
  throw new Error(
    `${TIME} (GNU time) is needed to read a child's peak RSS: apt-get install time`,
  );
}
const db = `file:${work}/cli.db`;
console.error(`  small database ${db}`);
await wb(["load", "--root", ROOT, "--db", db], false);
await wb([
  "experiment",
  "--task",
  "resume_matching",
  "--prompt",
  "v1",
  "--prompt",
  "v3",
  "--model",
  "fake-fast",
  "--repetitions",
  "1",
  "--allow-few-repetitions",
  "--quiet",
  "--db",
  db,
], false);
const help = await measure(["help"], repeat);
const runs = await measure(
  ["runs", "--db", db],
  repeat,
  WB,
  "wb runs (small database)",
);
// A script (or notebook cell) that imports the whole public API.
const script = `${work}/import_mod.ts`;
await Deno.writeTextFile(
  script,
  `import * as wb from "${ROOT}mod.ts";\nif (typeof wb.open !== "function") throw new Error("mod.ts");\n`,
);
const mod = await measure(
  [],
  repeat,
  ["run", "--config", `${ROOT}deno.json`, "--allow-all", script],
  "import * from mod.ts",
);
console.log(JSON.stringify({
  part: "9 cli",
  help,
  runs,
  mod,
  peak_rss_bytes: peakRss(),
}));
