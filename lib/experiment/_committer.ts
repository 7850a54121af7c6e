/**
 * The group committer: each cell's receipts, result and trace events land
 * in one transaction, with the other cells that finished meanwhile.
 *
 * @module
 */
import type { CellWriter } from "../store/cell_writer.ts";
import type { CellWrite } from "../store/runs.ts";
import type { Tracer } from "../trace/tracer.ts";

/** Cells per commit transaction, at most. */
const MAX_BATCH = 256;

/** Cells waiting for a commit (besides the batch being committed), at most; a finished cell waits for room. */
const MAX_WAITING = 2 * MAX_BATCH;

interface PendingCell {
  cell: Omit<CellWrite, "events">;
  events: (t: Tracer) => CellWrite["events"];
  done: () => void;
}

/**
 * A group committer: cells finished while a commit is running are committed
 * together in the next transaction. Each cell's receipts, result and trace
 * events land together or not at all; the trace events are chained in commit
 * order. A finished cell frees its slot in the pool at once (the next call
 * starts while it is being written); at most {@linkcode MAX_WAITING} cells
 * wait while a batch of at most {@linkcode MAX_BATCH} is written, so a crash
 * loses at most those (uncommitted, so they are called again on resume: no
 * committed call is repeated). When
 * a commit fails, that batch's cells are not counted, no new cell starts,
 * and the error is rethrown once the runner is idle.
 */
export class CellCommitter {
  #writer: CellWriter;
  #tracer: Tracer;
  #pending: PendingCell[] = [];
  #running: Promise<void> | null = null;
  #room: PromiseWithResolvers<void> | null = null;
  /** The first commit error; once set, no cell is committed or counted. */
  error: unknown = undefined;

  constructor(writer: CellWriter, tracer: Tracer) {
    this.#writer = writer;
    this.#tracer = tracer;
  }

  /** Queues a cell; `done` runs once it is committed. */
  commit(
    cell: Omit<CellWrite, "events">,
    events: (t: Tracer) => CellWrite["events"],
    done: () => void,
  ): void {
    this.#pending.push({ cell, events, done });
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  /** Waits until fewer than {@linkcode MAX_WAITING} cells wait for a commit. */
  room(): Promise<void> {
    if (this.#pending.length < MAX_WAITING) return Promise.resolve();
    this.#room ??= Promise.withResolvers();
    return this.#room.promise;
  }

  #freed(): void {
    if (
      this.#room &&
      (this.error !== undefined || this.#pending.length < MAX_WAITING)
    ) {
      this.#room.resolve();
      this.#room = null;
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0 && this.error === undefined) {
      const batch = this.#pending.splice(0, MAX_BATCH);
      this.#freed();
      const mark = this.#tracer.mark();
      try {
        const writes = batch.map((b) => ({
          ...b.cell,
          events: b.events(this.#tracer),
        }));
        await this.#writer.write(writes);
        for (const b of batch) b.done();
      } catch (error) {
        this.#tracer.reset(mark);
        this.error = error;
      }
    }
    this.#pending = [];
    this.#freed();
  }

  /** Waits until every queued cell is committed (or a commit failed). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
