import assert from "node:assert/strict";
import {
  DEFAULT_COMPARE_MODE,
  DEFAULT_SETTLE_SHARE,
} from "../compare/compare.ts";
import { about } from "./about.ts";
import { open } from "../store/open.ts";
import {
  type CellPlace,
  storeWithRuns,
  type TestCell,
  testCells,
} from "../store/test_fixtures.ts";
import { compareCommand } from "./compare.ts";
import { main } from "./main.ts";
import { summaryCommand } from "./summary.ts";
import { capture } from "./_test_io.ts";

const COMMANDS = [compareCommand, summaryCommand];

async function withRuns(
  change: (place: CellPlace) => Partial<TestCell>,
  fn: (db: string, dir: string) => Promise<void>,
  baseline: (place: CellPlace) => Partial<TestCell> = () => ({}),
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    const store = await open(db);
    await storeWithRuns(store, testCells(3, baseline), testCells(3, change));
    await store.close();
    await fn(db, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const RUNS = ["--baseline", "base", "--candidate", "cand"];

Deno.test("wb compare exits 0 on APPROVED and prints the verdict as JSON", async () => {
  await withRuns(() => ({}), async (db) => {
    const c = capture();
    assert.equal(
      await main(["compare", ...RUNS, "--json", "--db", db], c.io, COMMANDS),
      0,
    );
    const verdict = JSON.parse(c.out.join("\n"));
    assert.equal(verdict.verdict, "APPROVED");
    assert.equal(verdict.mode, "confident");
  });
});

Deno.test("wb compare exits 1 on REJECTED and writes a Markdown summary, verdict first", async () => {
  const drop = ({ slice }: CellPlace) =>
    slice === "adversarial" ? { checks: { exact_match: 0 } } : {};
  await withRuns(drop, async (db, dir) => {
    const c = capture();
    const file = `${dir}/verdict.md`;
    assert.equal(
      await main(
        ["compare", ...RUNS, "--markdown", file, "--db", db],
        c.io,
        COMMANDS,
      ),
      1,
    );
    assert.match(c.out[0]!, /^REJECTED: 1 limit breached/);
    assert.match(c.out.join("\n"), /rejected: slice 'adversarial' regressed/);
    const text = await Deno.readTextFile(file);
    assert.match(text, /^## ❌ Prompt verdict: REJECTED\n/);
    assert.match(
      text,
      /\| ❌ fail \| slice 'adversarial' \| 3 \| 0\.875 \| 0\.625 \| -0\.250 \| -0\.288 to -0\.212 \| n\/a \| -0\.100 \|/,
    );
    assert.match(
      text,
      /### Small samples\n\n- slice 'known\\_failure' rests on 3 cases/,
    );
    const summary = capture();
    assert.equal(
      await main(["summary", "--db", db], summary.io, COMMANDS),
      0,
    );
    assert.equal(summary.out.join("\n") + "\n", text);
  });
});

Deno.test("wb compare exits 3 on INCONCLUSIVE and 2 on bad input", async () => {
  const deltas = [-0.25, 0, -0.15, 0.05, -0.1, -0.03];
  const edge = ({ slice, i, rep }: CellPlace): Partial<TestCell> =>
    slice === "edge"
      ? { checks: { exact_match: 0.8 + 2 * deltas[i]! + (rep - 1) * 0.3 } }
      : {};
  const edgeBase = ({ slice }: CellPlace): Partial<TestCell> =>
    slice === "edge" ? { checks: { exact_match: 0.8 } } : {};
  await withRuns(edge, async (db) => {
    const c = capture();
    assert.equal(
      await main(["compare", ...RUNS, "--db", db], c.io, COMMANDS),
      3,
    );
    assert.match(
      c.out[0]!,
      /^INCONCLUSIVE: 1 limit undecided \(slice 'edge'\)/,
    );
    const point = capture();
    assert.equal(
      await main(
        ["compare", ...RUNS, "--mode", "point", "--db", db],
        point.io,
        COMMANDS,
      ),
      0,
    );
    for (
      const [argv, message] of [
        [["compare", "--baseline", "base", "--db", db], /missing --candidate/],
        [["compare", ...RUNS, "--mode", "loose", "--db", db], /--mode takes/],
        [
          ["compare", ...RUNS, "--limit", "slice", "--db", db],
          /--limit takes NAME=NUMBER/,
        ],
        [
          ["compare", ...RUNS, "--limit", "slice=0.5", "--db", db],
          /limits\.slice/,
        ],
        [
          ["compare", "--baseline", "base", "--candidate", "nope", "--db", db],
          /nope/,
        ],
        [
          ["compare", ...RUNS, "--settle", "--budget", "lots", "--db", db],
          /--budget takes a number of calls \(e\.g\. 200\) or an amount of money/,
        ],
        [
          ["compare", ...RUNS, "--budget", "200", "--db", db],
          /--budget goes with --settle/,
        ],
        [
          ["compare", ...RUNS, "--mode", "point", "--settle", "--db", db],
          /point mode reads means only/,
        ],
      ] as const
    ) {
      const bad = capture();
      assert.equal(
        await main([...argv], bad.io, COMMANDS),
        2,
        argv.join(" "),
      );
      assert.match(bad.err.join("\n"), message, argv.join(" "));
    }
  }, edgeBase);
});

Deno.test("wb compare's usage states the defaults compare() uses", () => {
  const { usage } = about("compare");
  assert.match(
    usage,
    new RegExp(`Modes \\(default\\s+${DEFAULT_COMPARE_MODE}\\)`),
  );
  assert.match(
    usage,
    new RegExp(`by default ${DEFAULT_SETTLE_SHARE} times the calls`),
  );
});
