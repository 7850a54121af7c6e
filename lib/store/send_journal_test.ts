import assert from "node:assert/strict";
import { open } from "./open.ts";
import { openSendJournal, settleSends } from "./send_journal.ts";
import { insertTestRun } from "./test_fixtures.ts";

/** A file database holding run `r` (no receipts), and its journal folder. */
async function fileStore(dir: string) {
  const store = await open(`file:${dir}/wb.db`);
  await insertTestRun(store, {
    id: "r",
    task: "t",
    prompt_version_id: "t@v1",
    cells: [],
  });
  return { store, journals: `${dir}/wb.db-sent` };
}

async function names(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) found.push(e.name);
  return found.sort();
}

Deno.test("settleSends() without folding counts live and killed sessions' journals once and leaves them; folding takes them in", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { store, journals } = await fileStore(dir);
    await using _ = store;
    const live = await openSendJournal(store, "r");
    for (let i = 0; i < 3; i++) live.mark();
    // A killed session's journal (2 calls), and one killed while folding
    // its own (4 calls, which a count without folding cannot tell from
    // folded).
    await Deno.writeTextFile(`${journals}/r.killed`, "..");
    await Deno.writeTextFile(`${journals}/r.dying.folding`, "....");
    await Deno.writeTextFile(`${journals}/other.run`, ".......");

    const counted = await settleSends(store, "r", { fold: false });
    assert.deepEqual(
      [counted.sent, counted.receipted, counted.unreceipted, counted.newly],
      [5, 0, 5, 5],
    );
    assert.equal((await names(journals)).length, 4, "nothing is removed");
    // The live session folds its own: the count stays the same.
    await live.close();
    const again = await settleSends(store, "r", { fold: false });
    assert.deepEqual([again.sent, again.unreceipted, again.newly], [5, 5, 0]);
    assert.deepEqual(await names(journals), [
      "other.run",
      "r.dying.folding",
      "r.killed",
    ]);
    // A settle that folds takes in what killed sessions left, both kinds.
    const folded = await settleSends(store, "r");
    assert.deepEqual([folded.sent, folded.unreceipted, folded.newly], [
      9,
      9,
      4,
    ]);
    assert.deepEqual(await names(journals), ["other.run"]);
    const run = await store.db.selectFrom("runs")
      .select(["calls_sent", "unreceipted_calls"]).where("id", "=", "r")
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [Number(run.calls_sent), Number(run.unreceipted_calls)],
      [9, 9],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
