import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import { insertComparison } from "../store/comparisons.ts";
import { open } from "../store/open.ts";
import {
  insertTestPromptVersion,
  insertTestRun,
} from "../store/test_fixtures.ts";
import { gateCommand } from "./gate.ts";
import { main } from "./main.ts";
import { promoteCommand } from "./promote.ts";
import { capture } from "./_test_io.ts";

async function withDb(fn: (db: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const db = `file:${dir}/wb.db`;
  try {
    const store = await open(db);
    await insertTestPromptVersion(store, "t", 1);
    await insertTestPromptVersion(store, "t", 2);
    const cells = [{ case_key: "c1", slice: "typical", repetition: 0 }];
    await insertTestRun(store, {
      id: "r1",
      task: "t",
      prompt_version_id: "t@v1",
      cells,
    });
    await insertTestRun(store, {
      id: "r2",
      task: "t",
      prompt_version_id: "t@v2",
      cells,
    });
    const body = { verdict: "APPROVED" };
    await insertComparison(store, {
      id: "cmp_1",
      task: "t",
      baseline_run_id: "r1",
      candidate_run_id: "r2",
      mode: "confident",
      limits: {},
      verdict: "APPROVED",
      body,
      baseline_scorecard_sha256: "b".repeat(64),
      candidate_scorecard_sha256: "c".repeat(64),
      sha256: contentHash(body),
      trace_id: null,
      created_at: "2026-01-01T00:00:00.000Z",
    }, []);
    await store.close();
    await fn(db);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const COMMANDS = [gateCommand, promoteCommand];

Deno.test("wb gate and wb promote move production through an approved gate", async () => {
  await withDb(async (db) => {
    const c = capture();
    assert.equal(
      await main(
        [
          "gate",
          "request",
          "--task",
          "t",
          "--version",
          "v2",
          "--comparison",
          "cmp_1",
          "--actor",
          "alice",
          "--json",
          "--db",
          db,
        ],
        c.io,
        COMMANDS,
      ),
      0,
    );
    const requested = JSON.parse(c.out.join("\n"));
    const gateId: string = requested.gate.id;
    assert.equal(requested.status, "pending");

    const promoteArgs = [
      "promote",
      "--task",
      "t",
      "--alias",
      "production",
      "--version",
      "v2",
      "--gate",
      gateId,
      "--actor",
      "alice",
      "--db",
      db,
    ];
    const refused = capture();
    assert.equal(await main(promoteArgs, refused.io, COMMANDS), 2);
    assert.match(refused.err.join("\n"), /is pending/);

    const self = capture();
    assert.equal(
      await main(
        [
          "gate",
          "approve",
          gateId,
          "--actor",
          "alice",
          "--reason",
          "mine",
          "--db",
          db,
        ],
        self.io,
        COMMANDS,
      ),
      2,
    );
    assert.match(self.err.join("\n"), /does not allow self-approval/);

    const approve = capture();
    assert.equal(
      await main(
        [
          "gate",
          "approve",
          gateId,
          "--actor",
          "bob",
          "--reason",
          "ok",
          "--db",
          db,
        ],
        approve.io,
        COMMANDS,
      ),
      0,
    );
    assert.match(approve.out[0]!, /APPROVED/);

    const twice = capture();
    assert.equal(
      await main(
        [
          "gate",
          "reject",
          gateId,
          "--actor",
          "carol",
          "--reason",
          "no",
          "--db",
          db,
        ],
        twice.io,
        COMMANDS,
      ),
      2,
    );
    assert.match(twice.err.join("\n"), /already approved/);

    const moved = capture();
    assert.equal(await main(promoteArgs, moved.io, COMMANDS), 0);
    assert.match(moved.out[0]!, /t production: \(unset\) -> t@v2/);

    const show = capture();
    assert.equal(
      await main(
        [
          "promote",
          "--task",
          "t",
          "--alias",
          "production",
          "--show",
          "--db",
          db,
        ],
        show.io,
        COMMANDS,
      ),
      0,
    );
    assert.match(show.out[0]!, /production -> t@v2/);
    const json = capture();
    assert.equal(
      await main(
        [
          "promote",
          "--task",
          "t",
          "--alias",
          "production",
          "--show",
          "--json",
          "--db",
          db,
        ],
        json.io,
        COMMANDS,
      ),
      0,
    );
    assert.equal(JSON.parse(json.out.join("\n")).version, 2);
    const unset = capture();
    assert.equal(
      await main(
        [
          "promote",
          "--task",
          "t",
          "--alias",
          "staging",
          "--show",
          "--db",
          db,
        ],
        unset.io,
        COMMANDS,
      ),
      2,
    );

    const list = capture();
    assert.equal(
      await main(["gate", "show", "--db", db], list.io, COMMANDS),
      0,
    );
    assert.match(list.out[0]!, new RegExp(`${gateId}\\s+approved`));
  });
});

Deno.test("wb gate reports bad input with exit code 2", async () => {
  await withDb(async (db) => {
    for (
      const argv of [
        [
          "gate",
          "request",
          "--task",
          "t",
          "--version",
          "two",
          "--actor",
          "a",
          "--db",
          db,
        ],
        [
          "gate",
          "request",
          "--task",
          "t",
          "--version",
          "v2",
          "--actor",
          "a",
          "--approvals",
          "-1",
          "--comparison",
          "cmp_1",
          "--db",
          db,
        ],
        ["gate", "approve", "--actor", "a", "--reason", "r", "--db", db],
        ["gate", "frobnicate", "--db", db],
        ["gate", "show", "gate_missing", "--db", db],
        [
          "gate",
          "request",
          "--task",
          "t",
          "--version",
          "v2",
          "--actor",
          "a",
          "--db",
          db,
        ],
      ]
    ) {
      const c = capture();
      assert.equal(await main(argv, c.io, COMMANDS), 2, argv.join(" "));
      assert.ok(c.err.length > 0);
    }
  });
});
