import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { exportOtel } from "../bundle/export_otel.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import {
  productionCatalog,
  productionStream,
} from "../production/_test_utils.ts";
import { scoreTraces } from "../production/score_traces.ts";
import { open } from "../store/open.ts";
import { driftCommand } from "./drift.ts";
import { main } from "./main.ts";
import { scoreTracesCommand } from "./score_traces.ts";
import { acceptCasesCommand } from "./accept_cases.ts";
import { suggestCasesCommand } from "./suggest_cases.ts";
import { capture } from "./_test_io.ts";

/** The keys of a JSON object, sorted: a documented shape's top level. */
function keys(value: unknown): string[] {
  return Object.keys(value as Record<string, unknown>).sort();
}

const COMMANDS = [
  scoreTracesCommand,
  driftCommand,
  suggestCasesCommand,
  acceptCasesCommand,
];

Deno.test("wb score-traces lists invalid inputs and what left the store; wb drift exits as compare does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    {
      await using store = await open(db);
      await loadCatalog(store, {
        root: await productionCatalog({ judge: true }),
      });
      await productionStream(store, [
        { day: "2026-11-02", calls: 30, adversarial: 0.1 },
        { day: "2026-11-03", calls: 30, adversarial: 0.1 },
      ], { invalidEvery: 20 });
    }
    const scored = capture();
    const args = ["--task", "support_triage", "--since", "2026-11-01"];
    assert.equal(
      await main(
        ["score-traces", ...args, "--judge", "fake-judge", "--db", db],
        scored.io,
        COMMANDS,
      ),
      0,
      scored.err.join("\n"),
    );
    const text = scored.out.join("\n");
    assert.match(
      text,
      /2026-11-02: run \S+, 29 scored of 30 calls \(1 invalid input/,
    );
    assert.match(
      text,
      /invalid input io_\S+: input\.channel: field not allowed/,
    );
    assert.match(
      text,
      /left the store \(sent to the judge\): input\.account_context, input\.customer_message, output/,
    );
    const verdict = capture();
    const code = await main(
      [
        "drift",
        "--task",
        "support_triage",
        "--baseline",
        "2026-11-02",
        "--window",
        "2026-11-03",
        "--json",
        "--db",
        db,
      ],
      verdict.io,
      COMMANDS,
    );
    const result = JSON.parse(verdict.out.join("\n"));
    // 30 inputs a day leave the small slices' intervals wide: undecided.
    assert.equal(result.verdict, "INCONCLUSIVE");
    assert.equal(code, 3);
    assert.ok(
      result.inconclusive.some((l: string) => /more inputs/.test(l)),
      result.inconclusive.join("\n"),
    );
    // The shape docs/cli-json.md gives for wb drift.
    assert.equal(verdict.out.length, 1);
    assert.deepEqual(keys(result), [
      "aggregate",
      "baseline",
      "caveats",
      "checks",
      "checks_left_out",
      "inconclusive",
      "inference",
      "limits",
      "mode",
      "moved",
      "reasons",
      "sha256",
      "summary",
      "task",
      "trace_id",
      "verdict",
      "window",
    ]);
    assert.equal(result.task, "support_triage");
    assert.match(result.sha256, /^[0-9a-f]{64}$/);
    for (
      const [side, window] of [
        [result.baseline, "2026-11-02"],
        [result.window, "2026-11-03"],
      ]
    ) {
      assert.deepEqual(keys(side), [
        "aggregate",
        "inputs",
        "run_id",
        "slice_shares",
        "window",
      ]);
      assert.equal(side.window, window);
      assert.equal(typeof side.slice_shares.typical, "number");
    }
    assert.equal(result.baseline.inputs, 29);
    assert.equal(result.window.inputs, 28);
    assert.equal(result.inference.basis, "independent samples of inputs");
    assert.match(result.inference.about, /traffic each side was drawn from/);
    assert.ok(result.checks.length > 0);
    assert.ok(result.moved.length > 0);
    for (const m of result.moved) {
      assert.deepEqual(keys(m), [
        "delta",
        "kind",
        "name",
        "slice",
        "slices",
        "text",
      ]);
      for (const part of m.slices) {
        assert.deepEqual(keys(part), [
          "mean_baseline",
          "mean_window",
          "mix",
          "share_baseline",
          "share_window",
          "slice",
          "within",
        ]);
      }
    }
    assert.equal(typeof result.limits.slice, "number");
    assert.ok("delta" in result.aggregate);
    assert.ok(Array.isArray(result.checks_left_out));
    assert.deepEqual(result.caveats, []);
    const text3 = capture();
    assert.equal(
      await main(
        [
          "drift",
          "--task",
          "support_triage",
          "--baseline",
          "2026-11-02",
          "--window",
          "2026-11-03",
          "--db",
          db,
        ],
        text3.io,
        COMMANDS,
      ),
      3,
    );
    const lines = text3.out.join("\n");
    assert.match(lines, /^INCONCLUSIVE/);
    assert.match(
      lines,
      /drift of support_triage: 2026-11-03 \(run \S+, 28 inputs\) against 2026-11-02 \(run \S+, 29 inputs\)/,
    );
    assert.match(lines, /slice mix: typical \d+%/);
    const bad = capture();
    assert.equal(
      await main(
        ["score-traces", ...args, "--window", "month", "--db", db],
        bad.io,
        COMMANDS,
      ),
      2,
    );
    assert.match(bad.err.join("\n"), /--window takes day or week, not 'month'/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wb score-traces reads an OTLP/JSON export of the calls and scores them as from the store", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store, { root: await productionCatalog() });
  const stream = await productionStream(store, [
    { day: "2026-11-02", calls: 10, adversarial: 0.2 },
  ]);
  const { text } = await bundle(store, { trace: stream[0]!.trace_id });
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/spans.jsonl`;
    await exportOtel(text!, { content: true, to: file });
    const db = `file:${dir}/fresh.db`;
    {
      await using fresh = await open(db);
      await loadCatalog(fresh, { root: await productionCatalog() });
    }
    const c = capture();
    assert.equal(
      await main(
        [
          "score-traces",
          "--task",
          "support_triage",
          "--since",
          "2026-11-01",
          "--otlp",
          file,
          "--json",
          "--db",
          db,
        ],
        c.io,
        COMMANDS,
      ),
      0,
      c.err.join("\n"),
    );
    assert.equal(c.out.length, 1);
    const fromFile = JSON.parse(c.out[0]!);
    // The shape docs/cli-json.md gives for wb score-traces.
    assert.deepEqual(keys(fromFile), [
      "redacted",
      "sent_to_judge",
      "source",
      "task",
      "windows",
    ]);
    assert.equal(fromFile.task, "support_triage");
    assert.equal(fromFile.source, "otlp");
    assert.deepEqual(fromFile.sent_to_judge, []);
    assert.deepEqual(fromFile.redacted, []);
    assert.equal(fromFile.windows.length, 1);
    assert.deepEqual(keys(fromFile.windows[0]), [
      "aggregate",
      "calls",
      "invalid",
      "judged",
      "run_id",
      "sampled_out",
      "scorecard_sha256",
      "scored",
      "slices",
      "window",
    ]);
    assert.deepEqual(keys(fromFile.windows[0].window), ["end", "id", "start"]);
    assert.equal(fromFile.windows[0].window.id, "2026-11-02");
    assert.match(fromFile.windows[0].scorecard_sha256, /^[0-9a-f]{64}$/);
    assert.equal(fromFile.windows[0].calls, 10);
    assert.equal(fromFile.windows[0].scored, 10);
    assert.equal(fromFile.windows[0].judged, 0);
    assert.equal(typeof fromFile.windows[0].aggregate, "number");
    const fromStore = await scoreTraces(store, {
      task: "support_triage",
      since: "2026-11-01",
    });
    assert.equal(
      fromFile.windows[0].aggregate,
      fromStore.windows[0]!.aggregate,
    );
    assert.deepEqual(fromFile.windows[0].slices, fromStore.windows[0]!.slices);
    // Without content the spans carry no input: each call is listed, none scored.
    await exportOtel(text!, { to: file });
    const bare = capture();
    await main(
      [
        "score-traces",
        "--task",
        "support_triage",
        "--since",
        "2026-11-01",
        "--otlp",
        file,
        "--json",
        "--db",
        db,
      ],
      bare.io,
      COMMANDS,
    );
    const w = JSON.parse(bare.out.join("\n")).windows[0];
    assert.equal(w.scored, 0);
    assert.equal(w.aggregate, null);
    assert.equal(w.invalid.length, 10);
    assert.deepEqual(keys(w.invalid[0]), ["issues", "receipt_id", "window"]);
    assert.match(w.invalid[0].issues[0].message, /no task input was recorded/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wb suggest-cases lists proposals and wb accept-cases adds one as a new dataset version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = `file:${dir}/wb.db`;
    const root = await productionCatalog();
    {
      await using store = await open(db);
      await loadCatalog(store, { root });
      await productionStream(store, [
        { day: "2026-11-02", calls: 12, adversarial: 0.2 },
      ], { prompt: "v1" });
      await scoreTraces(store, { task: "support_triage", since: "2026-11-01" });
    }
    const listed = capture();
    assert.equal(
      await main(
        [
          "suggest-cases",
          "--task",
          "support_triage",
          "--limit",
          "3",
          "--db",
          db,
        ],
        listed.io,
        COMMANDS,
      ),
      0,
    );
    assert.match(
      listed.out[0]!,
      /^3 proposals from 12 scored production inputs/,
    );
    const id = /^ {2}(io_\S+) \(2026-11-02\): failed/.exec(listed.out[1]!)?.[1];
    assert.ok(id, listed.out.join("\n"));
    // The shape docs/cli-json.md gives for wb suggest-cases: the same proposals.
    const listedJson = capture();
    assert.equal(
      await main(
        [
          "suggest-cases",
          "--task",
          "support_triage",
          "--limit",
          "3",
          "--json",
          "--db",
          db,
        ],
        listedJson.io,
        COMMANDS,
      ),
      0,
    );
    assert.equal(listedJson.out.length, 1);
    const suggested = JSON.parse(listedJson.out[0]!);
    assert.deepEqual(keys(suggested), [
      "considered",
      "proposals",
      "without_input",
    ]);
    assert.equal(suggested.considered, 12);
    assert.equal(suggested.without_input, 0);
    assert.equal(suggested.proposals.length, 3);
    for (const p of suggested.proposals) {
      assert.deepEqual(keys(p), [
        "input",
        "nearest",
        "receipt_id",
        "score",
        "slice",
        "slice_reason",
        "why",
        "window",
      ]);
      assert.equal(p.window, "2026-11-02");
      assert.equal(typeof p.input, "object");
      assert.equal(typeof p.nearest, "number");
    }
    assert.equal(suggested.proposals[0].receipt_id, id);
    assert.ok(suggested.proposals[0].why.includes("failed"));
    const accepted = capture();
    assert.equal(
      await main(
        [
          "accept-cases",
          "--task",
          "support_triage",
          "--author",
          "priya.nair",
          "--receipt",
          id,
          "--slice",
          `${id}=edge`,
          "--root",
          root,
          "--db",
          db,
        ],
        accepted.io,
        COMMANDS,
      ),
      0,
      accepted.err.join("\n"),
    );
    assert.match(accepted.out[0]!, /^dataset \S+ \(after \S+\): 1 cases added/);
    assert.match(accepted.out[1]!, new RegExp(`prod-${id}: edge`));
    // The shape docs/cli-json.md gives for wb accept-cases.
    const second = suggested.proposals[1].receipt_id;
    const acceptedJson = capture();
    assert.equal(
      await main(
        [
          "accept-cases",
          "--task",
          "support_triage",
          "--author",
          "priya.nair",
          "--receipt",
          second,
          // Typical keeps the slice mix within the task's targets.
          "--slice",
          `${second}=typical`,
          "--root",
          root,
          "--json",
          "--db",
          db,
        ],
        acceptedJson.io,
        COMMANDS,
      ),
      0,
      acceptedJson.err.join("\n"),
    );
    assert.equal(acceptedJson.out.length, 1);
    const added = JSON.parse(acceptedJson.out[0]!);
    assert.deepEqual(keys(added), [
      "added",
      "dataset_id",
      "file",
      "previous_dataset_id",
      "trace_id",
    ]);
    assert.equal(
      added.previous_dataset_id,
      /^dataset (\S+) /.exec(accepted.out[0]!)?.[1],
    );
    assert.notEqual(added.dataset_id, added.previous_dataset_id);
    assert.equal(added.file, `${root}/datasets/support_triage.jsonl`);
    assert.deepEqual(added.added, [{
      case_id: `prod-${second}`,
      slice: "typical",
      suggested_slice: suggested.proposals[1].slice,
      receipt_id: second,
      receipt_sha256: added.added[0]?.receipt_sha256,
    }]);
    assert.match(added.added[0].receipt_sha256, /^[0-9a-f]{64}$/);
    const refused = capture();
    assert.equal(
      await main(
        [
          "accept-cases",
          "--task",
          "support_triage",
          "--receipt",
          id,
          "--db",
          db,
        ],
        refused.io,
        COMMANDS,
      ),
      2,
    );
    assert.match(refused.err.join("\n"), /missing --author/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
