/**
 * The send journal: each model call is counted *before* it is sent, where a
 * killed process cannot lose the count, so that a resume can say how many
 * calls were sent but never receipted (paid for, and otherwise invisible).
 *
 * - A local database file: one byte appended per call to a file of the
 *   session in `<database>-sent/` (an `O_APPEND` write the kernel keeps
 *   when the process is killed; no fsync, so a power loss can drop the
 *   last counts, as it can the last commits).
 * - A database server: the run row's `calls_sent` is raised in a group
 *   commit, and the call waits for that commit.
 * - `:memory:`: a counter in memory (nothing outlives the process).
 *
 * When a session ends its journal is folded into `runs.calls_sent` and
 * removed; a journal left by a killed process is folded by the next resume
 * of its run ({@linkcode settleSends}).
 *
 * @module
 */
import { Decimal } from "decimal.js";
import { localPath } from "./_bulk_read.ts";
import type { Store } from "./open.ts";

/** Counts a session's calls before they are sent. */
export interface SendJournal {
  /**
   * Counts one call as sent. Returns a promise only when the count must be
   * waited for (a server's commit); the call is sent after it.
   */
  mark(): void | Promise<void>;
  /** Folds this session's count into the run row and removes the journal. */
  close(): Promise<void>;
}

/** The suffix of a journal its session is folding into the run row. */
const FOLDING = ".folding";

/** The directory of a local database's send journals. */
function journalDir(path: string): string {
  return `${path}-sent`;
}

/** Opens the journal of a new session of run `runId`. */
export async function openSendJournal(
  store: Store,
  runId: string,
): Promise<SendJournal> {
  const path = localPath(store);
  if (path !== null) return await fileJournal(store, path, runId);
  if (store.url === ":memory:" || store.url.startsWith("file:")) {
    return memoryJournal(store, runId);
  }
  return serverJournal(store, runId);
}

async function fileJournal(
  store: Store,
  path: string,
  runId: string,
): Promise<SendJournal> {
  const dir = journalDir(path);
  await Deno.mkdir(dir, { recursive: true });
  const name = `${dir}/${runId}.${crypto.randomUUID()}`;
  const file = await Deno.open(name, {
    append: true,
    create: true,
  });
  const byte = new Uint8Array([0x2e]);
  let closed = false;
  return {
    mark() {
      file.writeSync(byte);
    },
    async close() {
      if (closed) return;
      closed = true;
      const { size } = await file.stat();
      file.close();
      // Marked as being folded first, so a count taken meanwhile without
      // folding (`settleSends` with `fold: false`) does not count it twice.
      await Deno.rename(name, `${name}${FOLDING}`);
      await foldCount(store, runId, size);
      await Deno.remove(`${name}${FOLDING}`).catch(() => {});
    },
  };
}

function memoryJournal(store: Store, runId: string): SendJournal {
  let count = 0;
  return {
    mark() {
      count++;
    },
    async close() {
      const n = count;
      count = 0;
      await foldCount(store, runId, n);
    },
  };
}

function serverJournal(store: Store, runId: string): SendJournal {
  let waiting = 0;
  let batch: PromiseWithResolvers<void> | null = null;
  let running: Promise<void> | null = null;
  const flush = async () => {
    while (waiting > 0) {
      const n = waiting;
      const done = batch!;
      waiting = 0;
      batch = null;
      try {
        await foldCount(store, runId, n);
        done.resolve();
      } catch (error) {
        done.reject(error);
      }
    }
  };
  return {
    mark() {
      waiting++;
      batch ??= Promise.withResolvers();
      const mine = batch.promise;
      running ??= flush().finally(() => (running = null));
      return mine;
    },
    async close() {
      while (running) await running;
    },
  };
}

/**
 * The size (calls) of each of a run's journals by path; with `folding`,
 * those their sessions are folding too (a session killed while folding
 * left it).
 */
async function journalSizes(
  dir: string,
  runId: string,
  folding: boolean,
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (
        !entry.isFile || !entry.name.startsWith(`${runId}.`) ||
        (!folding && entry.name.endsWith(FOLDING))
      ) continue;
      const name = `${dir}/${entry.name}`;
      try {
        sizes.set(name, (await Deno.stat(name)).size);
      } catch (error) {
        // Renamed for folding, or folded and removed, by its session since
        // the listing.
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return sizes;
}

/** The calls journals hold (a byte each). */
function callsIn(journals: ReadonlyMap<string, number>): number {
  let calls = 0;
  for (const size of journals.values()) calls += size;
  return calls;
}

async function foldCount(store: Store, runId: string, n: number) {
  if (n === 0) return;
  await store.db.updateTable("runs")
    .set((eb) => ({ calls_sent: eb("calls_sent", "+", n) }))
    .where("id", "=", runId).execute();
}

/** What {@linkcode settleSends} found. */
export interface SendsSettled {
  /** Calls sent, all sessions (each attempt counts). */
  readonly sent: number;
  /** Attempts the run's receipts record. */
  readonly receipted: number;
  /** Calls sent but never receipted, all sessions (`sent - receipted`). */
  readonly unreceipted: number;
  /** Of those, the ones not recorded on the run before this call. */
  readonly newly: number;
  /**
   * What the newly found ones likely cost: their count times the mean cost
   * of the run's receipted calls (an estimate; null when none was priced).
   */
  readonly likely_cost: string | null;
}

/**
 * Folds journals that killed sessions left into the run row, and records on
 * the run how many calls were sent but never receipted. Run it when no
 * session of the run is live (on resume, and when a session ends). With
 * `fold: false` (a worker closing a run others may still be attached to)
 * the journals are counted as they stand and left in place: a live
 * session folds its own when it ends, a killed one's is folded by the next
 * settle that folds, and the count is the same either way (except for a
 * session killed while folding its own, counted only by a settle that
 * folds).
 */
export async function settleSends(
  store: Store,
  runId: string,
  options: { readonly fold?: boolean } = {},
): Promise<SendsSettled> {
  const fold = options.fold ?? true;
  const path = localPath(store);
  const dir = path === null ? null : journalDir(path);
  if (dir !== null && fold) {
    const journals = await journalSizes(dir, runId, true);
    await foldCount(store, runId, callsIn(journals));
    for (const name of journals.keys()) await Deno.remove(name);
  }
  const readRun = () =>
    store.db.selectFrom("runs").select(["calls_sent", "unreceipted_calls"])
      .where("id", "=", runId).executeTakeFirstOrThrow();
  let run = await readRun();
  let unfolded = 0;
  if (dir !== null && !fold) {
    // Counted, not folded: read again while the run row moved during the
    // count (a session folded its journal meanwhile, which the count may
    // have seen as well).
    for (;;) {
      const journals = await journalSizes(dir, runId, false);
      const after = await readRun();
      if (Number(after.calls_sent) === Number(run.calls_sent)) {
        unfolded = callsIn(journals);
        break;
      }
      run = after;
    }
  }
  const receipts = await store.db.selectFrom("model_io")
    .select(["attempts", "cost"]).where("run_id", "=", runId)
    .where("cached_from", "is", null).execute();
  let receipted = 0;
  let priced = 0;
  let cost = new Decimal(0);
  for (const r of receipts) {
    receipted += r.attempts;
    if (r.cost !== null) {
      priced++;
      cost = cost.plus(r.cost);
    }
  }
  const sent = Number(run.calls_sent) + unfolded;
  const unreceipted = Math.max(0, sent - receipted);
  const newly = Math.max(0, unreceipted - Number(run.unreceipted_calls));
  if (unreceipted !== Number(run.unreceipted_calls)) {
    await store.db.updateTable("runs").set({ unreceipted_calls: unreceipted })
      .where("id", "=", runId).execute();
  }
  return {
    sent,
    receipted,
    unreceipted,
    newly,
    likely_cost: newly > 0 && priced > 0
      ? cost.div(priced).times(newly).toString()
      : null,
  };
}
