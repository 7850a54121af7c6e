/**
 * Small helpers shared by the benchmark's parts.
 *
 * @module
 */
import process from "node:process";
import { createAdapter } from "../lib/providers/create_adapter.ts";
import type { ModelAdapter } from "../lib/providers/adapter.ts";
import type { ModelRequest, ModelResponse } from "../lib/schema/model_call.ts";
import type { ModelConfig } from "../lib/schema/model.ts";

/** GNU time, for a child process's own peak RSS and CPU time. */
export const TIME = "/usr/bin/time";

/**
 * Peak resident set size of this process so far, in bytes (getrusage's
 * `ru_maxrss`; Deno reads VmHWM in /proc/self/status only with
 * --allow-all). Started by a Deno process, it includes that parent's peak
 * (see `part` in bench.ts), so bench.ts replaces it with GNU time's figure.
 */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** CPU time (user + system) this process has used so far, all threads together, in ms. */
export function cpuTime(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
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
  /** Each delayed call's actual latency (start to its timer firing), in ms. */
  latencies: number[];
}

/** A fresh tally. */
export function tally(): AdapterTally {
  return { calls: 0, adapterMs: 0, starts: [], cells: [], latencies: [] };
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

/**
 * Adapters that answer like the real ones but after exactly `latencyMs`,
 * with the answer computed ahead: a first pass (`warm`) calls the real
 * adapters and keeps their answers; after it, every call waits `latencyMs`
 * (one timer) and returns the kept answer, so the provider's own work does
 * not run on the toolkit's thread. Counts and records calls in `seen`.
 */
export function delayedAdapters(
  seen: AdapterTally,
  latencyMs: number,
): {
  adapterFor: (config: ModelConfig) => ModelAdapter;
  warm: (config: ModelConfig) => ModelAdapter;
} {
  const answers = new Map<string, Promise<ModelResponse>>();
  const keyOf = (config: ModelConfig, request: ModelRequest) =>
    `${config.id}|${request.hints?.case_id}|${request.repetition}|${
      request.hints?.judged_output ?? ""
    }`;
  return {
    warm: (config) => {
      const inner = createAdapter(config);
      return {
        provider: inner.provider,
        model: inner.model,
        call(request) {
          const answer = inner.call(request);
          answers.set(keyOf(config, request), answer);
          return answer;
        },
      };
    },
    adapterFor: (config) => {
      const inner = createAdapter(config);
      return {
        provider: inner.provider,
        model: inner.model,
        async call(request) {
          seen.calls++;
          const started = performance.now();
          seen.starts.push(started);
          const answer = answers.get(keyOf(config, request)) ??
            inner.call(request);
          await new Promise((resolve) => setTimeout(resolve, latencyMs));
          seen.latencies.push(performance.now() - started);
          return { ...(await answer), simulated_latency_ms: latencyMs };
        },
      };
    },
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

/** A database argument as a URL: a file path, or a URL as given (`postgres://...`). */
export function databaseUrl(database: string): string {
  return /^[a-z]+:/.test(database) ? database : `file:${database}`;
}
