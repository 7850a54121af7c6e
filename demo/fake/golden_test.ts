/**
 * The demo fake's answers are bound to the shipped human labels by their
 * output hashes, so moving the demo's knowledge must not change one byte.
 * This test hashes every answer the fake gives on both demo tasks (every
 * prompt version, case and repetition, both generator configs, and the
 * judge on each answer) and compares with the digests recorded on main
 * before the move.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readCatalog } from "../../lib/catalog/read_catalog.ts";
import { createAdapter } from "../../lib/providers/create_adapter.ts";
import { buildJudgeRequest } from "../../lib/scoring/build_judge_request.ts";
import { renderPrompt } from "../../lib/experiment/render.ts";
import "./register.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Recorded on main at 51f44b2, before the demo's knowledge moved. */
const GOLDEN: Readonly<Record<string, string>> = {
  resume_matching:
    "3609d2f9c2074e40eba4cd09ffe472c6e31f932c4d2a6093d516b699bd091ba3",
  support_triage:
    "6b88faf02fd59d8d7ea5ade691394e7e8007fa88dd830748fcf0b2354bdf470d",
};

async function digestOf(taskName: string): Promise<string> {
  const catalog = await readCatalog(ROOT);
  const item = catalog.tasks.find((t) => t.task.name === taskName)!;
  const models = catalog.models.models;
  const judgeConfig = models.find((m) => m.id === "fake-judge")!;
  const judge = createAdapter(judgeConfig);
  const noisyJudge = createAdapter({
    ...judgeConfig,
    options: { ...judgeConfig.options, bias: -0.5, invalid_rate: 0.2 },
  });
  const fast = models.find((m) => m.id === "fake-fast")!;
  // A config with effects covers the verdict simulation's path.
  const shifted = {
    ...fast,
    options: {
      ...fast.options,
      effect: [
        { slice: "typical", delta: -0.1 },
        { slice: "adversarial", delta: 0.2 },
      ],
    },
  };
  const configs = [
    fast,
    models.find((m) => m.id === "fake-thorough")!,
    shifted,
  ];
  const digest = createHash("sha256");
  for (const config of configs) {
    const adapter = createAdapter(config);
    for (const prompt of item.prompts) {
      const params = { ...config.params, ...prompt.prompt.params };
      for (const testCase of item.dataset.cases) {
        for (let repetition = 0; repetition < 3; repetition++) {
          const rendered = renderPrompt(prompt.prompt, testCase.input);
          const response = await adapter.call({
            system: rendered.system,
            messages: rendered.messages,
            params,
            repetition,
            hints: {
              task: taskName,
              case_id: testCase.id,
              slice: testCase.slice,
              input: testCase.input,
              expected: testCase.expected,
              "output_schema": item.task.output_schema,
              checks: item.task.checks,
            },
          });
          digest.update(`${JSON.stringify(response)}\n`);
          const judged = await judge.call(
            buildJudgeRequest(item.task, testCase, response.text, {
              repetition,
            }),
          );
          digest.update(`${JSON.stringify(judged)}\n`);
          const noisy = await noisyJudge.call(
            buildJudgeRequest(item.task, testCase, response.text, {
              repetition,
            }),
          );
          digest.update(`${JSON.stringify(noisy)}\n`);
        }
      }
    }
  }
  return digest.digest("hex");
}

for (const task of Object.keys(GOLDEN)) {
  Deno.test(`fake provider answers ${task} byte-identically to main`, async () => {
    assert.equal(await digestOf(task), GOLDEN[task]);
  });
}
