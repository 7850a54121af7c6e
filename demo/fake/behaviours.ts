/**
 * The demo tasks' fake behaviours (resume_matching, support_triage). The
 * demo's models.yaml names this module in its fake configs' `behaviours`,
 * so the fake provider imports it on its first call in every process
 * (CLI, workers, notebooks, the demo script); nothing in lib/ imports it.
 * See docs/fake-provider.md, "Task behaviours".
 *
 * @module
 */
import type { FakeBehaviour } from "../../lib/providers/fake_behaviour.ts";
import { resumeFacts, triageFacts } from "./judge_facts.ts";
import { answerResume } from "./resume.ts";
import { answerTriage } from "./triage.ts";

/** The demo's behaviours, in the order they are tried. */
export const behaviours: readonly FakeBehaviour[] = [
  {
    task: "resume_matching",
    recognises: (input) => "resume_text" in input,
    answer: answerResume,
    judgeFacts: resumeFacts,
    recognisesOutput: (out, expected) =>
      "match_score" in out || "match_score_min" in expected,
  },
  {
    task: "support_triage",
    recognises: (input) => "customer_message" in input,
    answer: answerTriage,
    judgeFacts: triageFacts,
    recognisesOutput: (out, expected) =>
      "category" in out || "category" in expected,
  },
];
