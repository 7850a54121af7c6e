import { NotFoundError } from "../errors.ts";
import { listPromptVersions } from "../store/catalog.ts";
import { listComparisons } from "../store/comparisons.ts";
import { listAliasMoves } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { listRuns } from "../store/runs.ts";

/** A verdict of one version against the version before it. */
export interface VersionVerdict {
  /** The comparison that computed it (`wb summary ID`, `wb bundle --comparison ID`). */
  readonly comparison_id: string;
  /** APPROVED, REJECTED or INCONCLUSIVE. */
  readonly verdict: string;
  /** The candidate run (this version). */
  readonly candidate_run_id: string;
  /** The baseline run (the version before). */
  readonly baseline_run_id: string;
  /** The model both runs used (the candidate's, when they differ). */
  readonly model_config_id: string;
  /** When it was computed. */
  readonly created_at: string;
}

/** Where an alias points now, and how it got there. */
export interface AliasPointer {
  /** The alias, e.g. `production`. */
  readonly alias: string;
  /** The version it points to. */
  readonly prompt_version_id: string;
  /** The gate whose approval allowed the move. */
  readonly gate_id: string;
  /** Who moved it. */
  readonly moved_by: string;
  /** When. */
  readonly created_at: string;
}

/** One version of a task's prompt, with what was decided about it. */
export interface PromptHistoryEntry {
  /** `task@vN`. */
  readonly id: string;
  /** N. */
  readonly version: number;
  /** Who wrote it. */
  readonly author: string;
  /** Why it exists. */
  readonly note: string;
  /** When it was stored. */
  readonly created_at: string;
  /** sha256 of its canonical content. */
  readonly sha256: string;
  /** The version before it, or null for the first. */
  readonly previous: string | null;
  /** Its verdicts against the version before, newest first (empty when none was computed). */
  readonly verdicts: readonly VersionVerdict[];
  /** The aliases that point to it now. */
  readonly aliases: readonly AliasPointer[];
}

/** A task's prompt history. */
export interface PromptHistory {
  /** The task. */
  readonly task: string;
  /** Every version, oldest first. */
  readonly versions: readonly PromptHistoryEntry[];
  /** Where each alias points now, by alias name. */
  readonly aliases: readonly AliasPointer[];
}

/**
 * A task's prompt versions as a history: each version with its author,
 * date, note and content hash, its verdicts against the version before
 * (each naming the comparison that computed it), and which version each
 * alias points to now and through which gate.
 *
 * @param store The database.
 * @param task The task name.
 * @returns The history, oldest version first.
 * @throws {NotFoundError} If the task has no prompt version.
 *
 * @example A loaded catalog's history
 * ```ts
 * import { loadCatalog, open, promptHistory } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const history = await promptHistory(store, "resume_matching");
 * assert.equal(history.versions[0]?.version, 1);
 * assert.equal(history.versions[1]?.previous, "resume_matching@v1");
 * assert.ok(history.versions.every((v) => v.author.length > 0));
 * ```
 */
export async function promptHistory(
  store: Store,
  task: string,
): Promise<PromptHistory> {
  const versions = await listPromptVersions(store, task);
  if (versions.length === 0) {
    throw new NotFoundError(
      "task",
      task,
      "load its prompts with `wb load`, or list tasks with `wb runs`",
    );
  }
  const [runs, comparisons, moves] = await Promise.all([
    listRuns(store, { task }),
    listComparisons(store, { task }),
    listAliasMoves(store, task),
  ]);
  const runById = new Map(runs.map((r) => [r.id, r]));
  const current = new Map<string, AliasPointer>();
  for (const move of moves) {
    current.set(move.alias, {
      alias: move.alias,
      prompt_version_id: move.prompt_version_id,
      gate_id: move.gate_id,
      moved_by: move.moved_by,
      created_at: move.created_at,
    });
  }
  const aliases = [...current.values()].sort((a, b) =>
    a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0
  );
  return {
    task,
    versions: versions.map((v, i) => {
      const previous = i > 0 ? versions[i - 1]!.id : null;
      const verdicts = previous === null ? [] : comparisons.flatMap((c) => {
        const candidate = runById.get(c.candidate_run_id);
        const baseline = runById.get(c.baseline_run_id);
        if (
          candidate?.prompt_version_id !== v.id ||
          baseline?.prompt_version_id !== previous
        ) return [];
        return [{
          comparison_id: c.id,
          verdict: c.verdict,
          candidate_run_id: c.candidate_run_id,
          baseline_run_id: c.baseline_run_id,
          model_config_id: candidate.model_config_id,
          created_at: c.created_at,
        }];
      });
      return {
        id: v.id,
        version: v.version,
        author: v.author,
        note: v.note,
        created_at: v.created_at,
        sha256: v.sha256,
        previous,
        verdicts,
        aliases: aliases.filter((a) => a.prompt_version_id === v.id),
      };
    }),
    aliases,
  };
}
