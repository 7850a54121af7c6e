import assert from "node:assert/strict";
import { bundle } from "../bundle/bundle.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { ValidationError } from "../errors.ts";
import { experiment } from "../experiment/experiment.ts";
import type { Task } from "../schema/task.ts";
import { open } from "../store/open.ts";
import { listReceipts, listResults } from "../store/scores.ts";
import type { JudgeCall } from "./judge.ts";
import {
  judgeByJury,
  juryKey,
  juryMedian,
  krippendorffAlpha,
  makeJury,
  parseJuryKey,
} from "./jury.ts";
import { scoreRun } from "./score_run.ts";

Deno.test("krippendorffAlpha() matches the hand computation in docs/calibration.md", () => {
  // Values 1,1 | 2,3 | 3,3: D_o = 2/6, D_e = 58/30, alpha = 1 - 5/29.
  assert.ok(
    Math.abs(krippendorffAlpha([[1, 1], [2, 3], [3, 3]]) - 24 / 29) < 1e-12,
  );
  // A unit rated once is not pairable and is left out.
  assert.ok(
    Math.abs(krippendorffAlpha([[1, 1], [2, 3], [3, 3], [5]]) - 24 / 29) <
      1e-12,
  );
  // Three raters, one unit each disagreeing by one: hand computed.
  // Units [1,2,2] and [4,4,5]: D_o = (1/6)(4/2 + 4/2) = 2/3; values
  // 1,2,2,4,4,5 have mean 3 and squares 4+1+1+1+1+4 = 12, so
  // D_e = 2*6*12 / 30 = 4.8 and alpha = 1 - (2/3)/4.8 = 31/36.
  assert.ok(
    Math.abs(krippendorffAlpha([[1, 2, 2], [4, 4, 5]]) - 31 / 36) < 1e-12,
  );
  assert.equal(krippendorffAlpha([[2, 2], [4, 4]]), 1);
  assert.ok(Number.isNaN(krippendorffAlpha([[3, 3], [3, 3]])));
  assert.ok(Number.isNaN(krippendorffAlpha([[3], [4]])));
});

Deno.test("juryMedian() takes the median; an even count rounds a half to even", () => {
  assert.equal(juryMedian([4]), 4);
  assert.equal(juryMedian([1, 5, 3]), 3);
  assert.equal(juryMedian([3, 4]), 4);
  assert.equal(juryMedian([2, 3]), 2);
  assert.equal(juryMedian([4, 5]), 4);
  assert.equal(juryMedian([1, 5]), 3);
  assert.equal(juryMedian([1, 2, 4, 5]), 3);
  assert.throws(() => juryMedian([]), RangeError);
});

Deno.test("makeJury() defaults the quorum to a majority and refuses bad juries", () => {
  assert.deepEqual(makeJury(["a", "b", "c", "d"]), {
    jurors: ["a", "b", "c", "d"],
    quorum: 3,
  });
  assert.throws(() => makeJury(["a"]), ValidationError);
  assert.throws(() => makeJury(["a", "b", "a"]), ValidationError);
  assert.throws(() => makeJury(["a", "b"], 3), ValidationError);
  const key = juryKey(makeJury(["a", "b", "c"], 1));
  assert.equal(key, "jury:a+b+c;quorum=1");
  assert.deepEqual(parseJuryKey(key), { jurors: ["a", "b", "c"], quorum: 1 });
});

const anchors = { good: "g", average: "a", bad: "b" };
const TASK = {
  name: "t",
  id: "t1",
  "schema_version": 1,
  description: "d",
  "input_schema": { type: "object" },
  "output_schema": { type: "object" },
  rubric: {
    dimensions: ["tone", "safety"].map((name) => ({
      name,
      criteria: name,
      anchors,
    })),
  },
  checks: [],
  "slice_mix": { typical: 1, edge: 0, "known_failure": 0, adversarial: 0 },
} satisfies Task;
const CASE = { id: "c1", slice: "typical" as const, input: {}, expected: {} };

function juror(id: string, score: number | null): {
  id: string;
  call: JudgeCall;
} {
  let n = 0;
  return {
    id,
    call: () =>
      Promise.resolve({
        "receipt_id": `io_${id}_${n++}`,
        text: score === null ? null : JSON.stringify({
          dimensions: {
            tone: { evidence: "{}", reasoning: `${id} tone`, score },
            safety: { evidence: "{}", reasoning: `${id} safety`, score: 5 },
          },
        }),
        error: score === null ? "server_error: down" : null,
      }),
  };
}

Deno.test("judgeByJury() decides with the rest when a juror fails and the quorum is met", async () => {
  const result = await judgeByJury(
    [juror("a", 2), juror("b", null), juror("c", 4)],
    2,
    { task: TASK, testCase: CASE, output: "{}" },
  );
  assert.equal(result.judge_error, null);
  assert.equal(result.rubric?.tone?.score, 3);
  assert.equal(result.rubric?.safety?.score, 5);
  const seats = result.rubric!.tone!.jurors!;
  assert.deepEqual(seats.a, { score: 2, reasoning: "a tone", evidence: "{}" });
  assert.match(
    (seats.b as { error: string }).error,
    /the judge call failed: server_error: down \(after 2 attempts\)/,
  );
  assert.deepEqual(result.receipt_ids, [
    "io_a_0",
    "io_b_0",
    "io_b_1",
    "io_c_0",
  ]);
});

Deno.test("judgeByJury() gives no score and says so when the quorum is not met", async () => {
  const result = await judgeByJury(
    [juror("a", 2), juror("b", null), juror("c", null)],
    2,
    { task: TASK, testCase: CASE, output: "{}" },
  );
  assert.equal(result.rubric, null);
  assert.match(
    result.judge_error!,
    /^jury quorum not met: 1 of 3 jurors scored, quorum 2 \(b: the judge call failed.*; c: the judge call failed/,
  );
  assert.equal(result.receipt_ids.length, 5);
});

Deno.test("experiment() with a jury of two fake judges: median scores, each juror's receipts, agreement in the scorecard and the bundle", async () => {
  await using store = await open(":memory:");
  await loadCatalog(store);
  const base = {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["st-001", "st-002", "st-005", "st-019", "st-028", "st-029"],
  };
  await assert.rejects(
    experiment(store, { ...base, judge: "fake-judge", jury: ["fake-judge"] }),
    ValidationError,
  );
  const jurors = ["fake-judge-lenient", "fake-judge-strict"];
  const { runs } = await experiment(store, { ...base, jury: jurors });
  const runId = runs[0]!.run_id;
  const results = await listResults(store, runId);
  const receipts = new Map(
    (await listReceipts(store, runId)).map((r) => [r.id, r]),
  );
  const judged = results.filter((c) => c.rubric !== null);
  assert.ok(judged.length >= 12, `${judged.length} judged`);
  let differs = 0;
  for (const cell of judged) {
    // One receipt per juror (no retry on the fake judge), in jury order.
    assert.deepEqual(
      cell.judge_io_ids.map((id) => receipts.get(id)?.model_config_id),
      jurors,
    );
    for (const dimension of Object.values(cell.rubric!)) {
      const seats = dimension.jurors!;
      assert.deepEqual(Object.keys(seats).sort(), jurors);
      const scores = jurors.map((j) => {
        const seat = seats[j]!;
        assert.ok("score" in seat);
        return seat.score;
      });
      assert.equal(dimension.score, juryMedian(scores));
      if (scores[0] !== scores[1]) differs++;
    }
  }
  assert.ok(differs > 0, "the lenient and strict jurors never differ");

  const { scorecard, sha256 } = await scoreRun(store, runId);
  assert.equal(
    scorecard.run.judge_config_id,
    "jury:fake-judge-lenient+fake-judge-strict;quorum=2",
  );
  const jury = scorecard.judge.jury!;
  assert.deepEqual(jury.jurors, jurors);
  assert.equal(jury.quorum, 2);
  assert.equal(jury.juror_errors, 0);
  assert.ok(Object.values(jury.dimensions).some((d) => d.alpha !== null));
  for (const [name, d] of Object.entries(jury.dimensions)) {
    assert.equal(d.units, judged.length, name);
    const units = judged.map((c) =>
      jurors.map((j) =>
        (c.rubric![name]!.jurors![j] as { score: number }).score
      )
    );
    const alpha = krippendorffAlpha(units);
    assert.equal(
      d.alpha,
      alpha === alpha ? Math.round(alpha * 1e6) / 1e6 : null,
    );
  }

  const packed = await bundle(store, { runs: [runId] });
  const text = packed.text!;
  for (const cell of judged) {
    for (const id of cell.judge_io_ids) assert.ok(text.includes(id), id);
  }
  assert.ok(text.includes(sha256));
  const verified = await verifyBundle(text);
  assert.deepEqual(verified.problems, []);
});
