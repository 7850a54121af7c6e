import cliProgress from "cli-progress";
import { Decimal } from "decimal.js";

/** What the runner reports as cells finish. */
export interface ProgressUpdate {
  /** Cells finished so far (this session, including failures). */
  readonly done: number;
  /** Cells to run in this session. */
  readonly total: number;
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

function eta(update: ProgressUpdate, startedAt: number): string {
  if (update.done === 0) return "?";
  const seconds = ((Date.now() - startedAt) / 1000) *
    (update.total - update.done) / update.done;
  return `${Math.round(seconds)}s`;
}

function line(update: ProgressUpdate, startedAt: number): string {
  return `${update.label}: ${update.done}/${update.total} calls, cost $${
    new Decimal(update.cost).toFixed(6)
  }, ${update.errors} errors, ETA ${eta(update, startedAt)}`;
}

/** A cli-progress bar on stderr: calls done, cost so far, errors, ETA. */
export function terminalProgress(): ProgressSink {
  const bar = new cliProgress.SingleBar({
    format:
      "{label} [{bar}] {value}/{total} calls | ${cost} | {errors} errors | ETA {eta}s",
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  return {
    start(label, total) {
      bar.start(total, 0, { label, cost: "0.000000", errors: 0 });
    },
    update(u) {
      bar.update(u.done, {
        label: u.label,
        cost: new Decimal(u.cost).toFixed(6),
        errors: u.errors,
      });
    },
    stop(u) {
      bar.update(u.done, {
        label: u.label,
        cost: new Decimal(u.cost).toFixed(6),
        errors: u.errors,
      });
      bar.stop();
    },
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
      write(`${label}: ${total} calls to make`);
    },
    update(u) {
      if (Date.now() - last >= intervalMs) {
        last = Date.now();
        write(line(u, startedAt));
      }
    },
    stop(u) {
      write(line(u, startedAt).replace(/, ETA .*$/, ", done"));
    },
  };
}

interface JupyterApi {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

/** A live-updating display in a Jupyter notebook on the Deno kernel. */
export function jupyterProgress(
  jupyter: JupyterApi,
  intervalMs = 250,
): ProgressSink {
  const displayId = `wb-progress-${crypto.randomUUID()}`;
  let startedAt = 0;
  let last = 0;
  const show = (type: string, text: string) =>
    void jupyter.broadcast(type, {
      data: { "text/plain": text },
      metadata: {},
      transient: { display_id: displayId },
    }).catch(() => {});
  return {
    start(label, total) {
      startedAt = Date.now();
      show("display_data", `${label}: 0/${total} calls`);
    },
    update(u) {
      if (Date.now() - last >= intervalMs) {
        last = Date.now();
        show("update_display_data", line(u, startedAt));
      }
    },
    stop(u) {
      show(
        "update_display_data",
        line(u, startedAt).replace(/, ETA .*$/, ", done"),
      );
    },
  };
}

/** The right progress display for where the code runs. */
export function autoProgress(): ProgressSink {
  let jupyter: JupyterApi | undefined;
  try {
    // The getter throws outside `deno jupyter`.
    jupyter = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    jupyter = undefined;
  }
  if (jupyter && typeof jupyter.broadcast === "function") {
    return jupyterProgress(jupyter);
  }
  if (Deno.stderr.isTerminal()) return terminalProgress();
  // deno-lint-ignore no-console
  return lineProgress((l) => console.error(l));
}
