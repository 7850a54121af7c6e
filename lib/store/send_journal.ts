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
      await foldCount(store, runId, size);
      await Deno.remove(name).catch(() => {});
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
 * session of the run is live (on resume, and when a session ends).
 */
export async function settleSends(
  store: Store,
  runId: string,
): Promise<SendsSettled> {
  const path = localPath(store);
  if (path !== null) {
    let orphaned = 0;
    const dir = journalDir(path);
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.isFile && entry.name.startsWith(`${runId}.`)) {
          names.push(entry.name);
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    for (const name of names) {
      orphaned += (await Deno.stat(`${dir}/${name}`)).size;
    }
    await foldCount(store, runId, orphaned);
    for (const name of names) await Deno.remove(`${dir}/${name}`);
  }
  const run = await store.db.selectFrom("runs")
    .select(["calls_sent", "unreceipted_calls"])
    .where("id", "=", runId).executeTakeFirstOrThrow();
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
  const unreceipted = Math.max(0, Number(run.calls_sent) - receipted);
  const newly = Math.max(0, unreceipted - Number(run.unreceipted_calls));
  if (unreceipted !== Number(run.unreceipted_calls)) {
    await store.db.updateTable("runs").set({ unreceipted_calls: unreceipted })
      .where("id", "=", runId).execute();
  }
  return {
    sent: Number(run.calls_sent),
    receipted,
    unreceipted,
    newly,
    likely_cost: newly > 0 && priced > 0
      ? cost.div(priced).times(newly).toString()
      : null,
  };
}
