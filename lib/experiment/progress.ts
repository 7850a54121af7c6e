import cliProgress from "cli-progress";
import { Decimal } from "decimal.js";

/**
 * What the runner reports as cells finish. A cell is one case at one
 * repetition; it makes one generation call and, with a judge, one call per
 * judge, so `calls` and `cached` add up to the run summary's `adapter_calls`
 * and `cache_hits` (the `calls` and `cached` columns of `wb experiment`).
 */
export interface ProgressUpdate {
  /** Cells finished so far (this session, including failures). */
  readonly done: number;
  /** Cells to run in this session. */
  readonly total: number;
  /** Model calls made for the finished cells (generation and judge; cache hits apart). */
  readonly calls: number;
  /** Calls answered from the response cache for the finished cells. */
  readonly cached: number;
  /** Cost so far, decimal string. */
  readonly cost: string;
  /** Cells whose generation failed. */
  readonly errors: number;
  /** The run being worked on. */
  readonly label: string;
}

/** Where progress goes: a terminal bar, plain lines, a notebook display, or nowhere. */
export interface ProgressSink {
  /** A run starts. */
  start(label: string, total: number): void;
  /** A cell finished. */
  update(update: ProgressUpdate): void;
  /** The run ended. */
  stop(update: ProgressUpdate): void;
}

/** Progress that goes nowhere (tests, libraries). */
export const SILENT_PROGRESS: ProgressSink = {
  start() {},
  update() {},
  stop() {},
};

function eta(update: ProgressUpdate, elapsedMs: number): string {
  if (update.done === 0) return "?";
  const seconds = (elapsedMs / 1000) * (update.total - update.done) /
    update.done;
  return `${Math.round(seconds)}s`;
}

function line(update: ProgressUpdate, elapsedMs: number): string {
  const cached = update.cached > 0 ? ` (+${update.cached} cached)` : "";
  return `${update.label}: ${update.done}/${update.total} cells, ${update.calls} calls${cached}, cost $${
    new Decimal(update.cost).toFixed(6)
  }, ${update.errors} errors, ETA ${eta(update, elapsedMs)}`;
}

function finalLine(update: ProgressUpdate, elapsedMs: number): string {
  return line(update, elapsedMs).replace(
    /, ETA .*$/,
    `, done in ${(elapsedMs / 1000).toFixed(1)}s`,
  );
}

/** A cli-progress bar on stderr: cells done, calls made, cost so far, errors, ETA. */
export function terminalProgress(): ProgressSink {
  const bar = new cliProgress.SingleBar({
    format:
      "{label} [{bar}] {value}/{total} cells | {calls} calls | ${cost} | {errors} errors | ETA {eta}s",
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  return {
    start(label, total) {
      bar.start(total, 0, { label, calls: 0, cost: "0.000000", errors: 0 });
    },
    update(u) {
      bar.update(u.done, barFields(u));
    },
    stop(u) {
      bar.update(u.done, barFields(u));
      bar.stop();
    },
  };
}

function barFields(u: ProgressUpdate): Record<string, unknown> {
  return {
    label: u.label,
    calls: u.cached > 0 ? `${u.calls} (+${u.cached} cached)` : u.calls,
    cost: new Decimal(u.cost).toFixed(6),
    errors: u.errors,
  };
}

/** Plain lines at most every `intervalMs` (CI logs, pipes). */
export function lineProgress(
  write: (line: string) => void,
  intervalMs = 5000,
): ProgressSink {
  let startedAt = 0;
  let last = 0;
  return {
    start(label, total) {
      startedAt = Date.now();
      last = startedAt;
      write(`${label}: ${total} cells to run`);
    },
    update(u) {
      if (Date.now() - last >= intervalMs) {
        last = Date.now();
        write(line(u, last - startedAt));
      }
    },
    stop(u) {
      write(finalLine(u, Date.now() - startedAt));
    },
  };
}

/**
 * The part of the Deno Jupyter kernel's API (`Deno.jupyter`) a progress
 * display uses: `broadcast` sends one message on the kernel's IOPub channel.
 * In Deno 2.9.6 it returns `undefined`; a kernel that returns a promise is
 * handled too.
 */
export interface JupyterBroadcast {
  /** Sends a `display_data` or `update_display_data` message. */
  broadcast(type: string, content: Record<string, unknown>): unknown;
}

/** Options of {@linkcode jupyterProgress}. */
export interface JupyterProgressOptions {
  /** Least time between two updates of the display, in milliseconds. @default {250} */
  intervalMs?: number;
  /** The clock (tests inject one). @default {Date.now} */
  now?: () => number;
}

/**
 * A live, updating progress display in a Jupyter notebook on the Deno
 * kernel: one output per run, showing cells done, calls made, cost so far,
 * errors and the time left, updated in place (Jupyter's
 * `update_display_data` with the run's own `display_id`) at most every
 * `intervalMs`, and a final line when the run ends. {@linkcode experiment}
 * shows it by default when it runs inside the kernel.
 *
 * @param jupyter The kernel's API (default: `Deno.jupyter`).
 * @param options The update interval and the clock.
 * @returns A progress sink for `experiment({ progress })`.
 * @throws {TypeError} When `jupyter` is omitted and the code does not run in the Deno Jupyter kernel.
 *
 * @example Record what the kernel would be sent
 * ```ts
 * import { jupyterProgress } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const sent: { type: string; content: Record<string, unknown> }[] = [];
 * const progress = jupyterProgress({
 *   broadcast: (type, content) => void sent.push({ type, content }),
 * });
 * progress.start("v1 x fake-fast", 2);
 * progress.stop({ label: "v1 x fake-fast", done: 2, total: 2, calls: 4, cached: 0, cost: "0.01", errors: 0 });
 * assert.deepEqual(sent.map((m) => m.type), ["display_data", "update_display_data"]);
 * assert.match(String((sent[1]!.content.data as Record<string, string>)["text/plain"]), /2\/2 cells, 4 calls/);
 * ```
 */
export function jupyterProgress(
  jupyter?: JupyterBroadcast,
  options: JupyterProgressOptions = {},
): ProgressSink {
  const kernel = jupyter ?? denoJupyter();
  if (!kernel) {
    throw new TypeError(
      "Cannot show progress in a notebook: this code does not run in the Deno Jupyter kernel (`Deno.jupyter` is missing); pass a progress sink of your own",
    );
  }
  const intervalMs = options.intervalMs ?? 250;
  const now = options.now ?? Date.now;
  let displayId = "";
  let startedAt = 0;
  let last = 0;
  const send = (type: string, text: string) => {
    try {
      // Deno 2.9.6 returns undefined here: never assume a promise.
      const sent = kernel.broadcast(type, {
        data: { "text/plain": text },
        metadata: {},
        transient: { display_id: displayId },
      });
      if (sent instanceof Promise) sent.catch(() => {});
    } catch {
      // A display that cannot be sent must not stop the run.
    }
  };
  return {
    start(label, total) {
      // A display of its own for each run, so runs do not overwrite each other.
      displayId = `wb-progress-${crypto.randomUUID()}`;
      startedAt = now();
      last = startedAt;
      send("display_data", `${label}: 0/${total} cells, starting`);
    },
    update(u) {
      const at = now();
      if (at - last >= intervalMs) {
        last = at;
        send("update_display_data", line(u, at - startedAt));
      }
    },
    stop(u) {
      send("update_display_data", finalLine(u, now() - startedAt));
    },
  };
}

/**
 * `Deno.jupyter` when the code runs in the Deno Jupyter kernel, else
 * undefined (the getter throws outside `deno jupyter`). The one place the
 * workbench looks for the kernel.
 */
export function denoJupyter():
  | (JupyterBroadcast & { display(value: unknown): Promise<void> })
  | undefined {
  try {
    const jupyter = (Deno as unknown as {
      jupyter?: JupyterBroadcast & { display(value: unknown): Promise<void> };
    }).jupyter;
    return typeof jupyter?.broadcast === "function" &&
        typeof jupyter.display === "function"
      ? jupyter
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The progress a library call shows when given none: a live display inside
 * a notebook (Deno Jupyter kernel), nothing anywhere else (scripts and tests
 * stay quiet; the CLI chooses {@linkcode autoProgress}).
 */
export function defaultProgress(): ProgressSink {
  return denoJupyter() ? jupyterProgress() : SILENT_PROGRESS;
}

/** The right progress display for where the code runs. */
export function autoProgress(): ProgressSink {
  if (denoJupyter()) return jupyterProgress();
  if (Deno.stderr.isTerminal()) return terminalProgress();
  // deno-lint-ignore no-console
  return lineProgress((l) => console.error(l));
}
