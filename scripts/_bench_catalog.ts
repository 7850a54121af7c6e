/**
 * Builds a temporary catalog for the benchmark: the shipped resume_matching
 * task and prompt versions, a synthetic dataset of any size made by varying
 * the shipped cases (slice mix kept), and models.yaml with one extra model
 * config whose simulated latency is exactly 100 ms.
 *
 * Alone, to measure one part by hand (docs/bench.md gives the commands):
 * `deno run --allow-read --allow-write --allow-env scripts/_bench_catalog.ts DIR CASES`
 * writes the catalog into DIR.
 *
 * @module
 */
import { parse, stringify } from "yaml";

/** The task the benchmark runs. */
export const BENCH_TASK = "resume_matching";

/** A fake model config with an exact 100 ms simulated latency per call. */
export const LATENCY_MODEL = "bench-100ms";

/** The simulated latency of {@linkcode LATENCY_MODEL}, in ms. */
export const LATENCY_MS = 100;

const ROOT = new URL("../", import.meta.url).pathname;

interface RawCase {
  id: string;
  slice: "typical" | "edge" | "known_failure" | "adversarial";
  input: { resume_text: string; job_description: string };
  expected: Record<string, unknown>;
  note?: string;
}

/** The share of each slice in the task's slice_mix (read from the shipped task.yaml). */
async function sliceMix(): Promise<Record<RawCase["slice"], number>> {
  const task = parse(
    await Deno.readTextFile(`${ROOT}prompts/${BENCH_TASK}/task.yaml`),
  ) as { slice_mix: Record<RawCase["slice"], number> };
  return task.slice_mix;
}

/**
 * `count` cases made from the shipped ones: each slice gets its slice_mix
 * share, cycling over that slice's shipped cases; each copy's resume gains a
 * line with its own application number, so every prompt (and cache key) is
 * distinct while the checks' expectations stay true.
 */
export async function syntheticCases(count: number): Promise<RawCase[]> {
  const shipped = (await Deno.readTextFile(
    `${ROOT}datasets/${BENCH_TASK}.jsonl`,
  ))
    .split("\n").filter((l) => l.trim() !== "").map((l) =>
      JSON.parse(l) as RawCase
    );
  const mix = await sliceMix();
  const slices = Object.keys(mix) as RawCase["slice"][];
  const counts = slices.map((s) => Math.floor(mix[s] * count));
  // Whatever rounding left over goes to the largest slice.
  const largest = counts.indexOf(Math.max(...counts));
  counts[largest]! += count - counts.reduce((a, b) => a + b, 0);
  const out: RawCase[] = [];
  slices.forEach((slice, s) => {
    const pool = shipped.filter((c) => c.slice === slice);
    for (let i = 0; i < counts[s]!; i++) {
      const base = pool[i % pool.length]!;
      const n = out.length;
      out.push({
        ...base,
        id: `${base.id}-b${String(n).padStart(6, "0")}`,
        input: {
          ...base.input,
          resume_text: `${base.input.resume_text}\n\nApplication number ${
            100000 + n
          }.`,
        },
      });
    }
  });
  return out;
}

/**
 * Writes a catalog directory (prompts/, datasets/, models.yaml) with a
 * synthetic dataset of `cases` cases; returns the directory.
 */
export async function buildCatalog(
  dir: string,
  cases: number,
): Promise<string> {
  const prompts = `${dir}/prompts/${BENCH_TASK}`;
  await Deno.mkdir(prompts, { recursive: true });
  await Deno.mkdir(`${dir}/datasets`, { recursive: true });
  for await (const entry of Deno.readDir(`${ROOT}prompts/${BENCH_TASK}`)) {
    if (entry.isFile) {
      await Deno.copyFile(
        `${ROOT}prompts/${BENCH_TASK}/${entry.name}`,
        `${prompts}/${entry.name}`,
      );
    }
  }
  const rows = await syntheticCases(cases);
  await Deno.writeTextFile(
    `${dir}/datasets/${BENCH_TASK}.jsonl`,
    rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  const models = parse(await Deno.readTextFile(`${ROOT}models.yaml`)) as {
    models: Record<string, unknown>[];
  };
  models.models.push({
    id: LATENCY_MODEL,
    provider: "fake",
    model: "fake-fast-1",
    params: { temperature: 0.2, max_tokens: 1024 },
    behaviours: ["demo/fake/behaviours.ts"],
    options: {
      profile: "fast",
      latency_base_ms: LATENCY_MS,
      latency_ms_per_token: 0,
    },
  });
  await Deno.writeTextFile(`${dir}/models.yaml`, stringify(models));
  return dir;
}

if (import.meta.main) {
  const [dir, cases] = Deno.args;
  if (!dir || !(Number(cases) > 0)) {
    throw new TypeError("Usage: _bench_catalog.ts <dir> <cases>");
  }
  // deno-lint-ignore no-console
  console.log(await buildCatalog(dir, Number(cases)));
}
