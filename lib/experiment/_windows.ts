/**
 * Cells are prepared (rendered, serialized, keyed) a window at a time, and
 * a window's cache hits are looked up in one query: the generation calls',
 * and for those that hit, the first judge call's. The next window is
 * looked up while this one runs.
 *
 * @module
 */
import type { Task } from "../schema/task.ts";
import { buildJudgeRequest } from "../scoring/build_judge_request.ts";
import type { CachedReceipt } from "../store/runs.ts";
import type { ReceiptCache } from "./_cache.ts";
import type { CellRunner, PreparedCell, PreparedJudge } from "./_cell.ts";
import { CELL_WINDOW as WINDOW, type CellStream } from "./_cell_stream.ts";
import type { Cell, VersionedConfig } from "./_plan.ts";
import type { PreparedCall } from "./_request_identity.ts";

interface Window {
  /** Its cells, taken from the stream. */
  readonly cells: readonly Cell[];
  readonly calls: PreparedCall[];
  /** For cells whose generation is a cache hit: the first judge call, prepared with the lookups. */
  readonly judgeCalls: (PreparedJudge | undefined)[];
  /** Its cache lookups, once made. */
  known: Map<string, CachedReceipt | null> | undefined;
  /** Keys committed while its lookups were being made. */
  readonly invalidated: Set<string>;
  remaining: number;
}

/**
 * The prepared calls of a run's cells, a window at a time (the windows of
 * its cell stream: cells whose generation cache keys are looked up
 * together).
 */
export class CacheWindows {
  readonly #cells: CellStream;
  readonly #runner: CellRunner;
  readonly #task: Task;
  readonly #judge: VersionedConfig | undefined;
  readonly #cache: ReceiptCache;
  /** Whether hits are looked up ahead (cache mode `use`). */
  readonly #lookup: boolean;
  readonly #windows = new Map<number, Promise<Window>>();
  readonly #live = new Set<Window>();
  /** The windows made so far (each is made once, in order). */
  #made = 0;

  constructor(
    cells: CellStream,
    runner: CellRunner,
    context: {
      task: Task;
      judge: VersionedConfig | undefined;
      cache: ReceiptCache;
      lookup: boolean;
    },
  ) {
    this.#cells = cells;
    this.#runner = runner;
    this.#task = context.task;
    this.#judge = context.judge;
    this.#cache = context.cache;
    this.#lookup = context.lookup;
  }

  /**
   * Cell `index` and its prepared calls (ask for each index once, in
   * order); starts making the next window.
   */
  async get(index: number): Promise<PreparedCell & { cell: Cell }> {
    const w = Math.floor(index / WINDOW);
    const window = await this.#windowOf(w);
    if (w + 1 === this.#made && (w + 1) * WINDOW < this.#cells.count) {
      void this.#windowOf(w + 1).catch(() => {});
    }
    return {
      cell: window.cells[index % WINDOW]!,
      call: window.calls[index % WINDOW]!,
      judge: window.judgeCalls[index % WINDOW],
      known: window.known,
    };
  }

  /** Cell `index` is done with its window; the last one frees it. */
  async release(index: number): Promise<void> {
    const w = Math.floor(index / WINDOW);
    const window = await this.#windows.get(w);
    if (window && --window.remaining === 0) {
      this.#windows.delete(w);
      this.#live.delete(window);
    }
  }

  /** A receipt with this key was committed: a window that looked it up must look again. */
  committed(key: string): void {
    for (const window of this.#live) {
      if (window.known) window.known.delete(key);
      else window.invalidated.add(key);
    }
  }

  #windowOf(w: number): Promise<Window> {
    let window = this.#windows.get(w);
    if (!window) {
      // A window is made once: its cells are taken from the stream once.
      this.#made = w + 1;
      window = this.#prepare(this.#cells.take(w));
      this.#windows.set(w, window);
    }
    return window;
  }

  async #prepare(cells: Promise<readonly Cell[]>): Promise<Window> {
    const slice = await cells;
    const model = this.#runner.model;
    const calls = slice.map((cell) =>
      this.#runner.prepare(model, this.#runner.generationRequest(cell))
    );
    const window: Window = {
      cells: slice,
      calls,
      judgeCalls: [],
      known: undefined,
      invalidated: new Set(),
      remaining: slice.length,
    };
    if (!this.#lookup) return window;
    this.#live.add(window);
    const known = await this.#cache.lookup(calls.map((c) => c.key!));
    const judge = this.#judge;
    if (judge) {
      const judgeKeys: string[] = [];
      slice.forEach((cell, i) => {
        const hit = known.get(calls[i]!.key!);
        if (!hit || hit.text === null) return;
        const built = buildJudgeRequest(this.#task, cell.testCase, hit.text);
        const call = this.#runner.prepare(
          judge,
          this.#runner.judgeRequest(built, cell.repetition, judge),
        );
        window.judgeCalls[i] = { built, call };
        judgeKeys.push(call.key!);
      });
      if (judgeKeys.length > 0) {
        for (const [key, hit] of await this.#cache.lookup(judgeKeys)) {
          known.set(key, hit);
        }
      }
    }
    for (const key of window.invalidated) known.delete(key);
    window.known = known;
    return window;
  }
}
