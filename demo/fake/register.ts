/**
 * Registers the demo tasks' fake behaviours (resume_matching,
 * support_triage) with the fake provider. Imported by mod.ts and by the
 * experiment runner, so the shipped demo answers as it always has; a
 * project's own behaviours register the same way
 * (lib/providers/fake_behaviour.ts).
 *
 * @module
 */
import { registerFakeBehaviour } from "../../lib/providers/fake_behaviour.ts";
import { resumeFacts, triageFacts } from "./judge_facts.ts";
import { answerResume } from "./resume.ts";
import { answerTriage } from "./triage.ts";

registerFakeBehaviour({
  task: "resume_matching",
  recognises: (input) => "resume_text" in input,
  answer: answerResume,
  judgeFacts: resumeFacts,
  recognisesOutput: (out, expected) =>
    "match_score" in out || "match_score_min" in expected,
});
registerFakeBehaviour({
  task: "support_triage",
  recognises: (input) => "customer_message" in input,
  answer: answerTriage,
  judgeFacts: triageFacts,
  recognisesOutput: (out, expected) =>
    "category" in out || "category" in expected,
});
