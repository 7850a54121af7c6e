// deno-lint-ignore-file no-console
/**
 * How big a bundle streams: `deno task bundle-scale [--receipts 100000]`
 * records N synthetic model calls (about 1 KB of prompt and 300 bytes of
 * answer each) on one trace of a file database, then measures, each in a
 * fresh process, exporting the bundle to a file, verifying it from a file
 * stream, and importing it into a second database: wall time, peak
 * resident memory (RSS, which includes libSQL's native memory) and peak V8
 * heap, sampled every 20 ms. Not a test: run it by hand and read the table.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  bundle,
  importBundle,
  open,
  recordCall,
  Tracer,
  verifyBundle,
} from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    receipts: { type: "string", default: "100000" },
    phase: { type: "string" },
    dir: { type: "string" },
    trace: { type: "string" },
    keep: { type: "boolean" },
  },
});

interface Measured {
  phase: string;
  seconds: number;
  startRss: number;
  peakRss: number;
  peakHeap: number;
  note: string;
}

async function measure(
  phase: string,
  fn: () => Promise<string>,
): Promise<Measured> {
  (globalThis as { gc?: () => void }).gc?.();
  const start = Deno.memoryUsage();
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const sample = () => {
    const now = Deno.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    const note = await fn();
    sample();
    return {
      phase,
      seconds: (performance.now() - t0) / 1000,
      startRss: start.rss,
      peakRss,
      peakHeap,
      note,
    };
  } finally {
    clearInterval(timer);
  }
}

async function runPhase(
  phase: string,
  dir: string,
  trace: string,
): Promise<Measured> {
  const file = `${dir}/scale.bundle.json`;
  switch (phase) {
    case "export": {
      await using store = await open(`file:${dir}/source.db`);
      return await measure("export", async () => {
        const result = await bundle(store, { trace, to: file });
        return `${result.counts.receipts} receipts, ${result.counts.trace_events} events, ${
          (result.bytes / 1024 / 1024).toFixed(1)
        } MB, sha256 ${result.sha256}`;
      });
    }
    case "verify":
      return await measure("verify", async () => {
        using f = await Deno.open(file);
        const result = await verifyBundle(f.readable);
        if (!result.ok) throw new Error(result.summary);
        return result.summary.slice(0, 90);
      });
    case "import": {
      await using store = await open(`file:${dir}/target.db`);
      return await measure("import", async () => {
        using f = await Deno.open(file);
        const result = await importBundle(store, f.readable);
        return `${result.inserted.receipts} receipts, ${result.inserted.trace_events} events written`;
      });
    }
    default:
      throw new RangeError(`unknown phase '${phase}'`);
  }
}

if (values.phase !== undefined) {
  // A child process: one phase, its figures as the last line.
  const m = await runPhase(values.phase, values.dir!, values.trace!);
  console.log(JSON.stringify(m));
  Deno.exit(0);
}

const n = Number(values.receipts);
const dir = values.dir ?? await Deno.makeTempDir({ prefix: "bundle_scale_" });
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const prompt = "You triage support messages. ".repeat(20);
const message =
  "My parcel has not arrived and the tracking page shows nothing. ".repeat(8);
const answer = JSON.stringify({
  category: "shipping",
  priority: "medium",
  suggested_reply:
    "We are sorry for the delay; a colleague is checking the carrier. ".repeat(
      3,
    ),
  requires_human: false,
});

console.log(`recording ${n} calls in ${dir}/source.db ...`);
const setup = await measure("record (setup)", async () => {
  await using source = await open(`file:${dir}/source.db`);
  const tracer = await Tracer.start(source, {
    schema_version: 1,
    name: "scale",
    steps: [{ id: "triage" }],
  });
  for (let i = 0; i < n; i++) {
    await recordCall(tracer, {
      provider: "anthropic",
      model: "claude-haiku-4-5",
      request: {
        system: prompt,
        messages: [{ role: "user", content: `${message} (#${i})` }],
        params: { max_tokens: 400, temperature: 0 },
      },
      response: {
        text: answer,
        usage: { input_tokens: 300 + (i % 50), output_tokens: 90 },
        responseId: `msg_${i}`,
        stopReason: "end",
      },
      latencyMs: 400 + (i % 300),
      step: "triage",
    });
  }
  return tracer.traceId;
});

const rows: Measured[] = [setup];
for (const phase of ["export", "verify", "import"]) {
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      new URL(import.meta.url).pathname,
      "--phase",
      phase,
      "--dir",
      dir,
      "--trace",
      setup.note,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const out = new TextDecoder().decode(child.stdout).trim().split("\n");
  if (!child.success) {
    throw new Error(`phase ${phase} failed: ${out.join("\n")}`);
  }
  rows.push(JSON.parse(out.at(-1)!));
}

console.log("");
console.log(
  "phase            seconds   start RSS MB   peak RSS MB   peak heap MB   result",
);
for (const m of rows) {
  console.log(
    `${m.phase.padEnd(16)} ${m.seconds.toFixed(1).padStart(7)}   ${
      mb(m.startRss).padStart(12)
    }   ${mb(m.peakRss).padStart(11)}   ${mb(m.peakHeap).padStart(12)}   ${
      m.phase === "record (setup)" ? `${n} calls` : m.note
    }`,
  );
}
if (values.dir === undefined && !values.keep) {
  await Deno.remove(dir, { recursive: true });
}
