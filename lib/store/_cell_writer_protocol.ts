/**
 * The messages between `openCellWriter` (cell_writer.ts) and its writer
 * thread (_cell_writer_worker.ts), in a module of their own so the runner's
 * thread does not evaluate the worker's module (which imports libSQL and
 * sets the global `onmessage`) to learn them.
 *
 * @module
 */

/** A message to the writer thread. */
export type WriterRequest =
  | {
    readonly type: "open";
    readonly path: string;
    readonly busyTimeoutMs: number;
  }
  | {
    readonly type: "write";
    readonly id: number;
    readonly tables: readonly PackedRows[];
  }
  | { readonly type: "close" };

/** A packed value that is text. */
export const TEXT = 1;
/** A packed value that is a number (otherwise: null). */
export const NUMBER = 2;

/**
 * One table's rows, packed: the column names, then for each value (row
 * after row) its kind, its number, and where its UTF-8 text ends.
 */
export interface PackedRows {
  /** The table. */
  readonly table: string;
  /** The columns. */
  readonly columns: readonly string[];
  /** Per value: {@linkcode TEXT}, {@linkcode NUMBER}, or 0 for null. */
  readonly kinds: Uint8Array<ArrayBuffer>;
  /** Per value: the number, when it is one. */
  readonly numbers: Float64Array<ArrayBuffer>;
  /** All texts, UTF-8, one after another. */
  readonly text: Uint8Array<ArrayBuffer>;
  /** Per value: where its text ends in `text` (it starts where the previous value's ends). */
  readonly ends: Uint32Array<ArrayBuffer>;
}

/** A message from the writer thread. */
export type WriterReply =
  | { readonly type: "opened" }
  | { readonly type: "written"; readonly id: number }
  | {
    readonly type: "failed";
    readonly id: number | null;
    readonly name: string;
    readonly message: string;
  }
  | { readonly type: "closed" };
