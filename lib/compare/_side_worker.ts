/**
 * The worker thread of `startSideThread` (_side.ts): reads one run from the
 * database file through a connection of its own, scores it, answers once.
 *
 * @module
 */
import { readReceiptFiguresAt, readResultsAt } from "../store/scores.ts";
import {
  scoreSideRows,
  type SideThreadJob,
  type SideThreadReply,
} from "./_side.ts";

/**
 * The worker's global scope, typed here rather than by a `deno.worker` lib
 * directive (a published package may not change its users' globals).
 */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<SideThreadJob>) => void) | null;
  postMessage(message: SideThreadReply): void;
};

scope.onmessage = (event) => {
  let reply: SideThreadReply;
  try {
    const job = event.data;
    const results = readResultsAt(job.path, job.run.id);
    const receipts = readReceiptFiguresAt(job.path, job.run.id);
    reply = { ok: true, scores: scoreSideRows(job, results, receipts) };
  } catch (error) {
    reply = {
      ok: false,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  scope.postMessage(reply);
};
