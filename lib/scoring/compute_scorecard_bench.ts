import type { ReceiptFigures } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import { SLICES } from "../schema/task.ts";
import { RESUME_TASK } from "./_fixtures.ts";
import { mulberry32 } from "./bootstrap.ts";
import { computeScorecard } from "./compute_scorecard.ts";

const random = mulberry32(1);
const DIMS = RESUME_TASK.rubric.dimensions.map((d) => d.name);
const results: CellResult[] = [];
for (let c = 0; c < 10_000; c++) {
  for (let r = 0; r < 3; r++) {
    results.push({
      id: `res_${c}_${r}`,
      "run_id": "run_bench",
      "case_key": `case-${c}`,
      repetition: r,
      slice: SLICES[c % 4]!,
      "generation_io_id": null,
      "judge_io_ids": [],
      output: "{}",
      status: random() < 0.02 ? "provider_error" : "ok",
      checks: {
        a: { pass: true, score: random(), detail: "" },
        b: { pass: false, score: random(), detail: "" },
      },
      rubric: Object.fromEntries(
        DIMS.map((d) => [d, {
          score: (1 + Math.floor(random() * 5)) as 1 | 2 | 3 | 4 | 5,
          reasoning: "",
        }]),
      ),
      "judge_error": null,
      "created_at": "",
      "scored_at": "",
    });
  }
}

Deno.bench("computeScorecard() over 30,000 results with 1000 resamples", () => {
  computeScorecard({
    task: RESUME_TASK,
    results,
    receipts: [],
    run: {
      id: "run_bench",
      task: "resume_matching",
      "task_id": "t",
      "prompt_version_id": "resume_matching@v1",
      "model_config_id": "fake-fast",
      "judge_config_id": "fake-judge",
      "dataset_id": "d",
      repetitions: 3,
    },
  });
});

// The same cells, each naming a generation and a judge receipt with a
// latency and a cost: the latency p50/p95 and cost-per-cell intervals
// resample them by case.
const receipts: ReceiptFigures[] = [];
const linked = results.map((cell) => {
  const ids = [`g_${cell.id}`, `j_${cell.id}`];
  ids.forEach((id, k) =>
    receipts.push({
      id,
      purpose: k === 0 ? "generate" : "judge",
      status: "ok",
      "cached_from": null,
      "latency_ms": Math.round(200 + 800 * random()),
      usage: null,
      cost: (0.0001 + 0.0001 * random()).toFixed(7),
      "uncached_cost": null,
      currency: "USD",
      attempts: 1,
    })
  );
  return { ...cell, "generation_io_id": ids[0]!, "judge_io_ids": [ids[1]!] };
});

Deno.bench(
  "computeScorecard() over 30,000 results and 60,000 receipts with 1000 resamples",
  () => {
    computeScorecard({
      task: RESUME_TASK,
      results: linked,
      receipts,
      run: {
        id: "run_bench",
        task: "resume_matching",
        "task_id": "t",
        "prompt_version_id": "resume_matching@v1",
        "model_config_id": "fake-fast",
        "judge_config_id": "fake-judge",
        "dataset_id": "d",
        repetitions: 3,
      },
    });
  },
);
