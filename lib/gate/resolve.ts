import { ConflictError, NotFoundError } from "../errors.ts";
import { findPromptVersionById, listAliasMoves } from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { loadGate } from "./_load.ts";

/** The prompt version an alias points to, and the gate that put it there. */
export interface ResolvedAlias {
  /** The task. */
  readonly task: string;
  /** The alias. */
  readonly alias: string;
  /** The prompt version id, e.g. `resume_matching@v3`. */
  readonly prompt_version_id: string;
  /** Its version number. */
  readonly version: number;
  /** Its content hash (the one the gate approved). */
  readonly sha256: string;
  /** The gate that allowed the last move. */
  readonly gate_id: string;
  /** Who moved the alias. */
  readonly moved_by: string;
  /** When it was moved. */
  readonly moved_at: string;
}

/**
 * The prompt version a task's alias points to: what scripts and CI should
 * run as, e.g., `production`. The prompt version's content is checked
 * against the hash its gate approved.
 *
 * @param store The database.
 * @param task The task.
 * @param alias The alias, e.g. `production`.
 * @returns The prompt version and the gate behind it.
 * @throws {NotFoundError} If the alias was never set for the task.
 * @throws {ConflictError} If the prompt version no longer matches what its gate approved.
 *
 * @example An alias never set
 * ```ts
 * import { NotFoundError, open, resolve } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(resolve(store, "t", "production"), NotFoundError);
 * ```
 */
export async function resolve(
  store: Store,
  task: string,
  alias: string,
): Promise<ResolvedAlias> {
  const last = (await listAliasMoves(store, task, alias)).at(-1);
  if (!last) {
    throw new NotFoundError(
      "alias",
      `${task}:${alias}`,
      "move it with `wb promote` through an approved gate",
    );
  }
  const pv = await findPromptVersionById(store, last.prompt_version_id);
  const gate = await loadGate(store, last.gate_id);
  if (!pv || pv.sha256 !== gate.subject.prompt_version.sha256) {
    throw new ConflictError(
      `Cannot resolve '${alias}' of task '${task}': prompt version '${last.prompt_version_id}' no longer matches the content gate '${gate.id}' approved`,
    );
  }
  return {
    task,
    alias,
    prompt_version_id: pv.id,
    version: pv.version,
    sha256: pv.sha256,
    gate_id: last.gate_id,
    moved_by: last.moved_by,
    moved_at: last.created_at,
  };
}
