// The experiment of experiment_test.ts's NUL tests, shared with
// nul_child.ts: 6 cells whose model output holds NUL and U+0001.
import { createAdapter } from "../../providers/create_adapter.ts";
import type { Store } from "../../store/open.ts";
import { experiment } from "../experiment.ts";

/** What the run's cells said: `case#repetition` -> output. */
export interface NulOutputs {
  runId: string;
  status: string;
  said: Record<string, string>;
}

/** Runs the 6 cells on `store` (its catalog loaded) and says what each one's model said. */
export async function runNulOutputs(store: Store): Promise<NulOutputs> {
  const said: Record<string, string> = {};
  const result = await experiment(store, {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["st-001", "st-020"],
    adapterFor: (config) => {
      const inner = createAdapter(config);
      return {
        provider: inner.provider,
        model: inner.model,
        async call(request) {
          const response = await inner.call(request);
          const text = `\u0001${response.text}\u0000 \u00010 \u0000\u0001`;
          said[`${request.hints?.case_id}#${request.repetition}`] = text;
          return { ...response, text };
        },
      };
    },
  });
  return {
    runId: result.runs[0]!.run_id,
    status: result.runs[0]!.status,
    said,
  };
}
