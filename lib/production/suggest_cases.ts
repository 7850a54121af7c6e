/**
 * Proposes the production inputs most worth adding to a task's suite.
 *
 * @module
 */
import { getLatestDataset } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { listTaskCalls, listWindowRuns } from "../store/production.ts";
import { listResults } from "../store/scores.ts";
import type { Slice } from "../schema/task.ts";
import { cellScore } from "../scoring/cell_score.ts";
import { SliceIndex } from "./slice_index.ts";

/** Options for {@linkcode suggestCases}. */
export interface SuggestCasesOptions {
  /** The task. */
  task: string;
  /** Only these windows. @default {every scored window} */
  windows?: readonly string[] | undefined;
  /** Proposals to return at most. @default {10} */
  limit?: number | undefined;
  /** A cell score at or below this is low. @default {0.5} */
  lowScore?: number | undefined;
  /** An input whose nearest suite case is less similar than this is unlike any case. @default {0.2} */
  novelty?: number | undefined;
}

/** One production input proposed as a new case. */
export interface CaseProposal {
  /** The production call's receipt id (the source to record). */
  readonly receipt_id: string;
  /** The window it was scored in. */
  readonly window: string;
  /** Its input. */
  readonly input: Record<string, unknown>;
  /** The slice its nearest suite cases suggest. */
  readonly slice: Slice;
  /** Why that slice. */
  readonly slice_reason: string;
  /** Its cell score (0..1), or null. */
  readonly score: number | null;
  /** Similarity to the nearest suite case. */
  readonly nearest: number;
  /** Why it is worth adding: `failed`, `low score`, `unlike any case`. */
  readonly why: readonly string[];
}

/** What {@linkcode suggestCases} returns. */
export interface SuggestCasesResult {
  /** The proposals, most worth adding first. */
  readonly proposals: readonly CaseProposal[];
  /** Scored production inputs considered. */
  readonly considered: number;
  /** Scored inputs whose input is not in the store (windows read from an OTLP file). */
  readonly without_input: number;
}

/**
 * Proposes the scored production inputs most worth adding to the suite as
 * new cases, each with a suggested slice and its reason: failures first
 * (a failed call or a failed check), then low scores, then inputs unlike
 * any suite case (nearest similarity below `novelty`), lowest score and
 * least similar first. Nothing is added: `acceptCases` does that on a
 * person's command.
 *
 * @param store The database.
 * @param options Task, windows and thresholds.
 * @returns The proposals.
 * @throws {NotFoundError} If the task has no dataset.
 *
 * @example Nothing scored yet
 * ```ts
 * import { loadCatalog, open, suggestCases } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { proposals } = await suggestCases(store, { task: "support_triage" });
 * assert.deepEqual(proposals, []);
 * ```
 */
export async function suggestCases(
  store: Store,
  options: SuggestCasesOptions,
): Promise<SuggestCasesResult> {
  const limit = options.limit ?? 10;
  const low = options.lowScore ?? 0.5;
  const novelty = options.novelty ?? 0.2;
  const dataset = await getLatestDataset(store, options.task);
  const index = new SliceIndex(dataset.cases);
  const wanted = options.windows ? new Set(options.windows) : null;
  const inputs = new Map(
    (await listTaskCalls(store, {
      task: options.task,
      since: "0000-01-01T00:00:00.000Z",
    })).map((c) => [c.receipt.id, c.input]),
  );
  const known = new Set(dataset.cases.map((c) => JSON.stringify(c.input)));
  const proposals: CaseProposal[] = [];
  let considered = 0;
  let withoutInput = 0;
  const seen = new Set<string>();
  for (const run of await listWindowRuns(store, options.task)) {
    const window = run.dataset_id.split(":").at(-1)!;
    if (wanted && !wanted.has(window)) continue;
    for (const result of await listResults(store, run.id)) {
      const id = result.generation_io_id;
      if (id === null || seen.has(id)) continue;
      seen.add(id);
      considered++;
      const input = inputs.get(id);
      if (typeof input !== "object" || input === null) {
        withoutInput++;
        continue;
      }
      if (known.has(JSON.stringify(input))) continue;
      const suggestion = index.suggest(input);
      const score = cellScore(result);
      const failed = result.status !== "ok" ||
        Object.values(result.checks).some((c) => !c.pass);
      const why = [
        ...(failed ? ["failed"] : []),
        ...(!failed && score !== null && score <= low ? ["low score"] : []),
        ...(suggestion.nearest < novelty ? ["unlike any case"] : []),
      ];
      if (why.length === 0) continue;
      proposals.push({
        receipt_id: id,
        window,
        input: input as Record<string, unknown>,
        slice: suggestion.slice,
        slice_reason: suggestion.reason,
        score,
        nearest: suggestion.nearest,
        why,
      });
    }
  }
  const rank = (p: CaseProposal) =>
    p.why.includes("failed") ? 0 : p.why.includes("low score") ? 1 : 2;
  proposals.sort((a, b) =>
    rank(a) - rank(b) || (a.score ?? 0) - (b.score ?? 0) ||
    a.nearest - b.nearest || (a.receipt_id < b.receipt_id ? -1 : 1)
  );
  return {
    proposals: proposals.slice(0, limit),
    considered,
    without_input: withoutInput,
  };
}
