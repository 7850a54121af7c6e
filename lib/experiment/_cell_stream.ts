/**
 * A session's cells, produced a window at a time as the pool reaches them
 * (from the dataset's cases read a window at a time from the store), so a
 * run holds a few windows of cells, not a list of every cell.
 *
 * @module
 */
import type { Cell } from "./_plan.ts";

/** Cells a window holds (the last may hold fewer). */
export const CELL_WINDOW = 256;

/**
 * `count` cells in order, as windows of {@linkcode CELL_WINDOW} cells
 * pulled from a source one at a time, each pulled once. Windows are asked
 * for in order (window `w` before `w + 1`).
 */
export class CellStream {
  /** How many cells the stream has. */
  readonly count: number;
  readonly #source: AsyncIterator<readonly Cell[]>;
  /** Windows pulled so far. */
  #pulled = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #current: { w: number; cells: Promise<readonly Cell[]> } | undefined;

  /**
   * @param count How many cells the source yields in all.
   * @param source Windows of exactly {@linkcode CELL_WINDOW} cells (the last may have fewer).
   */
  constructor(count: number, source: AsyncIterable<readonly Cell[]>) {
    this.count = count;
    this.#source = source[Symbol.asyncIterator]();
  }

  /** A stream of cells already in memory (a worker's claimed batch). */
  static of(cells: readonly Cell[]): CellStream {
    return new CellStream(
      cells.length,
      (async function* () {
        for (let i = 0; i < cells.length; i += CELL_WINDOW) {
          yield cells.slice(i, i + CELL_WINDOW);
        }
      })(),
    );
  }

  /** How many cells window `w` holds. */
  size(w: number): number {
    return Math.max(0, Math.min(CELL_WINDOW, this.count - w * CELL_WINDOW));
  }

  /**
   * Window `w`'s cells, pulled from the source once: ask for each window
   * once, in order (`w` is the number of windows asked for so far).
   *
   * @throws {RangeError} If `w` is not the next window.
   */
  take(w: number): Promise<readonly Cell[]> {
    if (w !== this.#pulled) {
      throw new RangeError(
        `Cannot take window ${w} of a run's cells as windows are taken once and in order: the next is ${this.#pulled}`,
      );
    }
    this.#pulled++;
    const expected = this.size(w);
    const cells = this.#tail.then(async () => {
      const next = await this.#source.next();
      const window = next.done ? [] : next.value;
      if (window.length !== expected) {
        throw new RangeError(
          `Expected window ${w} of a run's cells to hold ${expected} cells but found ${window.length}`,
        );
      }
      return window;
    });
    this.#tail = cells.catch(() => {});
    return cells;
  }

  /**
   * Cell `index`: ask for each index once, in order; its window is pulled
   * when the first of its cells is asked for and dropped with the next.
   */
  cell(index: number): Promise<Cell> {
    const w = Math.floor(index / CELL_WINDOW);
    if (this.#current?.w !== w) this.#current = { w, cells: this.take(w) };
    return this.#current.cells.then((cells) => cells[index % CELL_WINDOW]!);
  }
}

/**
 * Groups cells into windows of {@linkcode CELL_WINDOW} as they come.
 */
export async function* cellWindows(
  cells: AsyncIterable<Cell>,
): AsyncGenerator<Cell[]> {
  let window: Cell[] = [];
  for await (const cell of cells) {
    window.push(cell);
    if (window.length === CELL_WINDOW) {
      yield window;
      window = [];
    }
  }
  if (window.length > 0) yield window;
}
