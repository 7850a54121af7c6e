import { nowIso } from "../content/ids.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import {
  findAliasMoveByGate,
  findPromptVersion,
  insertAliasMove,
  listAliasMoves,
} from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { Tracer } from "../trace/tracer.ts";
import { requireAlias, requireText, requireVersion } from "./_checks.ts";
import { evaluateGate } from "./evaluate_gate.ts";

/** Options for {@linkcode promote}. */
export interface PromoteOptions {
  /** The task. */
  task: string;
  /** The alias to move, e.g. `production` or `staging`. */
  alias: string;
  /** The prompt version number to point it at. */
  version: number;
  /** The approved gate whose subject is that prompt version and alias. */
  gate: string;
  /** Who moves it. */
  actor: string;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** One move of an alias, as recorded. */
export interface AliasMove {
  /** The task. */
  readonly task: string;
  /** The alias. */
  readonly alias: string;
  /** The prompt version it points to after the move. */
  readonly prompt_version_id: string;
  /** The prompt version it pointed to before, if any. */
  readonly previous_prompt_version_id: string | null;
  /** The approved gate that allowed the move. */
  readonly gate_id: string;
  /** Who moved it. */
  readonly moved_by: string;
  /** When. */
  readonly created_at: string;
}

/**
 * Moves a task's alias to a prompt version through an approved gate. The
 * gate must be approved now (its subject re-hashed from the current
 * records), its subject must be this task, alias and prompt version, and it
 * must not have been used for a move before. The move is kept in
 * `alias_moves` with its gate, and an `alias_moved` event is added to the
 * gate's trace in the same transaction.
 *
 * @param store The database.
 * @param options The alias, the version, the gate and who moves it.
 * @returns The move.
 * @throws {NotFoundError} If the prompt version or the gate does not exist.
 * @throws {ConflictError} If the gate is not approved, judged something else, or was already used.
 * @throws {ValidationError} If the alias name, version or actor is invalid.
 *
 * @example Moving production through an approved gate
 * ```ts
 * import { decideGate, loadCatalog, open, promote, requestGate, resolve } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await loadCatalog(store);
 * const { gate } = await requestGate(store, {
 *   task: "resume_matching", version: 1, actor: "ann", policy: { accepted_verdicts: [] },
 * });
 * await assert.rejects(
 *   promote(store, { task: "resume_matching", alias: "production", version: 1, gate: gate.id, actor: "ann" }),
 *   /is pending/,
 * );
 * await decideGate(store, gate.id, { actor: "bob", decision: "approve", reason: "ok" });
 * await promote(store, { task: "resume_matching", alias: "production", version: 1, gate: gate.id, actor: "ann" });
 * assert.equal((await resolve(store, "resume_matching", "production")).version, 1);
 * ```
 */
export async function promote(
  store: Store,
  options: PromoteOptions,
): Promise<AliasMove> {
  const actor = requireText(options.actor, "actor");
  const task = requireText(options.task, "task");
  const alias = requireAlias(options.alias);
  const version = requireVersion(options.version);
  const pv = await findPromptVersion(store, task, version);
  if (!pv) {
    throw new NotFoundError(
      "prompt version",
      `${task}@v${version}`,
      "load the catalog with `wb load`",
    );
  }
  const evaluation = await evaluateGate(store, options.gate);
  const gate = evaluation.gate;
  const target = `${task}@v${version} as '${alias}'`;
  if (
    gate.task !== task || gate.alias !== alias ||
    gate.subject.prompt_version.id !== pv.id
  ) {
    throw new ConflictError(
      `Cannot promote ${target} through gate '${gate.id}': the gate judges ${gate.subject.prompt_version.id} as '${gate.alias}'; request a gate for this version and alias`,
    );
  }
  if (evaluation.status !== "approved") {
    throw new ConflictError(
      `Cannot promote ${target} as gate '${gate.id}' is ${evaluation.status}: ${
        evaluation.reasons.join("; ")
      }`,
    );
  }
  const used = await findAliasMoveByGate(store, gate.id);
  if (used) {
    throw new ConflictError(
      `Cannot promote ${target} through gate '${gate.id}': it already moved '${used.alias}' to ${used.prompt_version_id} at ${used.created_at}; a gate allows one move`,
    );
  }
  const moves = await listAliasMoves(store, task, alias);
  const previous = moves.at(-1)?.prompt_version_id ?? null;
  const now = options.now ?? nowIso;
  const tracer = await Tracer.resume(store, gate.trace_id, { now });
  const createdAt = now();
  const event = tracer.next("alias_moved", {
    step: "promote",
    data: {
      gate_id: gate.id,
      task,
      alias,
      prompt_version_id: pv.id,
      prompt_version_sha256: pv.sha256,
      previous_prompt_version_id: previous,
      moved_by: actor,
      subject_sha256: gate.subject_sha256,
    },
  });
  const row = await insertAliasMove(store, {
    task,
    alias,
    prompt_version_id: pv.id,
    gate_id: gate.id,
    moved_by: actor,
    created_at: createdAt,
  }, [event]);
  return {
    task: row.task,
    alias: row.alias,
    prompt_version_id: row.prompt_version_id,
    previous_prompt_version_id: previous,
    gate_id: row.gate_id,
    moved_by: row.moved_by,
    created_at: row.created_at,
  };
}
