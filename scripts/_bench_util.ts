/**
 * Small helpers shared by the benchmark's parts.
 *
 * @module
 */
import { createAdapter } from "../lib/providers/create_adapter.ts";
import type { ModelAdapter } from "../lib/providers/adapter.ts";
import type { ModelConfig } from "../lib/schema/model.ts";

/** Peak resident set size of this process so far (VmHWM), in bytes. */
export function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** CPU time (user + system) used so far, in ms: by the whole process, and by its main thread. */
export function cpuTime(): { process: number; main: number } {
  const ticks = (stat: string) => {
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  };
  const hz = 100; // USER_HZ on Linux
  const process = ticks(Deno.readTextFileSync("/proc/self/stat"));
  const main = ticks(Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/stat`));
  return { process: (process * 1000) / hz, main: (main * 1000) / hz };
}

/** What the counting adapters saw. */
export interface AdapterTally {
  /** Calls that reached an adapter. */
  calls: number;
  /** Time spent inside the adapters' `call` (the fake provider's own work), in ms. */
  adapterMs: number;
  /** `performance.now()` at each call's start. */
  starts: number[];
  /** `case#repetition#purpose` of every call. */
  cells: string[];
}

/** A fresh tally. */
export function tally(): AdapterTally {
  return { calls: 0, adapterMs: 0, starts: [], cells: [] };
}

/**
 * The real adapters, wrapped to count calls and the time spent inside
 * them (so the fake provider's own work can be told apart from the
 * toolkit's). With `record`, each call's start and cell are kept too.
 */
export function countingAdapters(
  seen: AdapterTally,
  record = false,
): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        const started = performance.now();
        seen.calls++;
        if (record) {
          seen.starts.push(started);
          const purpose = request.hints?.judged_output === undefined
            ? "generate"
            : "judge";
          seen.cells.push(
            `${request.hints?.case_id}#${request.repetition}#${purpose}`,
          );
        }
        const answer = inner.call(request);
        seen.adapterMs += performance.now() - started;
        return answer;
      },
    };
  };
}

/** Writes a part's figures as the last line of stdout (read by scripts/bench.ts). */
export function report(figures: Record<string, unknown>): void {
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ ...figures, peak_rss_bytes: peakRss() }));
}

/** Rounds to `digits` decimals. */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
