import assert from "node:assert/strict";
import Database from "libsql";
import { immutable, osToolsMissing } from "../store/_test_utils.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";
import { DENO_RUN } from "../_deno_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const missing = await osToolsMissing();
const required = Deno.env.get("WB_REQUIRE_TOOLS") === "1";

/** One line on stderr, naming the database, no stack trace; exit 2. */
function assertOneLine(
  result: { code: number; err: string[] },
  pattern: RegExp,
) {
  assert.equal(result.code, 2, result.err.join("\n"));
  assert.equal(result.err.length, 1, result.err.join("\n"));
  assert.match(result.err[0]!, pattern);
  assert.doesNotMatch(result.err[0]!, /\n| {4}at /);
}

async function wb(args: string[]) {
  const io = capture();
  const code = await main(args, io.io);
  return { code, ...io };
}

Deno.test({
  name:
    "wb load and wb experiment on a read-only database: one line naming it, exit 2, nothing written",
  ignore: missing !== undefined && !required,
  async fn() {
    if (missing) throw new Error(`WB_REQUIRE_TOOLS=1 but ${missing}`);
    const dir = await Deno.makeTempDir();
    try {
      const db = `file:${dir}/wb.db`;
      // An empty, migrated database that nobody may write.
      assert.equal((await wb(["runs", "--db", db])).code, 0);
      await using _locked = await immutable(`${dir}/wb.db`);
      const load = await wb(["load", "--root", ROOT, "--db", db]);
      assertOneLine(
        load,
        new RegExp(
          `^wb load: Cannot write to the database "${db}": it is read-only; make the file`,
        ),
      );
      const run = await wb([
        "experiment",
        "--task",
        "support_triage",
        "--prompt",
        "v1",
        "--model",
        "fake-fast",
        "--db",
        db,
      ]);
      assert.equal(run.code, 2);
      assert.equal(run.err.length, 1);
      const runs = await wb(["runs", "--db", db]);
      assert.equal(runs.code, 0);
      assert.doesNotMatch(runs.out.join("\n"), /run_/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("wb load on a database another process holds past the busy timeout: one line, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    assert.equal((await wb(["runs", "--db", db])).code, 0);
    const other = new Database(`${dir}/wb.db`);
    try {
      other.exec("BEGIN IMMEDIATE");
      // wb runs in a process of its own with the short busy timeout: set
      // here, the variable would shorten it for the test files running in
      // parallel in this process too.
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN,
          new URL("./main.ts", import.meta.url).pathname,
          "load",
          "--root",
          ROOT,
          "--db",
          db,
        ],
        env: { WB_BUSY_TIMEOUT_MS: "100" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      assertOneLine(
        {
          code: output.code,
          err: new TextDecoder().decode(output.stderr).split("\n")
            .filter(Boolean),
        },
        new RegExp(
          `^wb load: Cannot write to the database "${db}": another process held its lock past the busy timeout; `,
        ),
      );
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
