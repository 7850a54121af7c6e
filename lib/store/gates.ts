/**
 * Gates, gate decisions and alias moves: the queries behind `lib/gate/`.
 *
 * @module
 */
import type { Kysely, Selectable, Transaction } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store } from "./open.ts";
import type { Database } from "./tables.ts";
import { insertTraceEvents } from "./trace.ts";

type Executor = Kysely<Database> | Transaction<Database>;

/** A gate row, JSON columns parsed. */
export interface GateRow {
  /** The gate id. */
  readonly id: string;
  /** The task the gate is about. */
  readonly task: string | null;
  /** What is judged (ids and content hashes), as recorded at request time. */
  readonly subject: unknown;
  /** sha256 of the canonical subject. */
  readonly subject_sha256: string;
  /** The policy, as recorded at request time. */
  readonly policy: unknown;
  /** Who asked. */
  readonly requested_by: string;
  /** The gate's own trace. */
  readonly trace_id: string;
  /** When it was requested. */
  readonly created_at: string;
}

/** A gate decision row. */
export interface GateDecisionRow {
  /** The decision id. */
  readonly id: string;
  /** The gate decided. */
  readonly gate_id: string;
  /** `policy` (from a verdict) or `human`. */
  readonly kind: string;
  /** Who decided (`policy` for a policy decision). */
  readonly actor: string;
  /** `approve` or `reject`. */
  readonly decision: string;
  /** Why. */
  readonly reason: string;
  /** The subject hash the decision was made on. */
  readonly subject_sha256: string;
  /** The comparison a policy decision read. */
  readonly comparison_id: string | null;
  /** When. */
  readonly created_at: string;
}

/** An alias move row. */
export interface AliasMoveRow {
  /** Insertion order. */
  readonly seq: number;
  /** The task. */
  readonly task: string;
  /** The alias, e.g. `production`. */
  readonly alias: string;
  /** The prompt version it now points to. */
  readonly prompt_version_id: string;
  /** The approved gate that allowed the move. */
  readonly gate_id: string;
  /** Who moved it. */
  readonly moved_by: string;
  /** When. */
  readonly created_at: string;
}

/** The identity of a stored prompt version. */
export interface PromptVersionDigest {
  /** `<task>@v<version>`. */
  readonly id: string;
  /** The task. */
  readonly task: string;
  /** The version number. */
  readonly version: number;
  /** The stored content hash. */
  readonly sha256: string;
}

function toGate(row: Selectable<Database["gates"]>): GateRow {
  return {
    ...row,
    subject: JSON.parse(row.subject),
    policy: JSON.parse(row.policy),
  };
}

/** Inserts a gate, its first decisions and their trace events in one transaction. */
export async function insertGate(
  store: Store,
  gate: GateRow,
  decisions: readonly GateDecisionRow[],
  events: readonly TraceEvent[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto("gates").values({
      ...gate,
      subject: canonicalize(gate.subject),
      policy: canonicalize(gate.policy),
    }).execute();
    await insertDecisions(trx, decisions);
    await insertTraceEvents(trx, events);
  });
}

async function insertDecisions(
  db: Executor,
  decisions: readonly GateDecisionRow[],
): Promise<void> {
  if (decisions.length > 0) {
    await db.insertInto("gate_decisions").values([...decisions]).execute();
  }
}

/** Inserts a decision and its trace event in one transaction. */
export async function insertDecision(
  store: Store,
  decision: GateDecisionRow,
  events: readonly TraceEvent[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await insertDecisions(trx, [decision]);
    await insertTraceEvents(trx, events);
  });
}

/**
 * A gate by id (a unique prefix of at least 8 characters is accepted).
 *
 * @throws {NotFoundError} If no gate (or more than one) matches.
 */
export async function getGate(store: Store, id: string): Promise<GateRow> {
  let row = await store.db.selectFrom("gates").selectAll().where("id", "=", id)
    .executeTakeFirst();
  if (!row && id.length >= 8) {
    const rows = await store.db.selectFrom("gates").selectAll()
      .where("id", "like", `${id}%`).limit(2).execute();
    if (rows.length === 1) row = rows[0];
  }
  if (!row) {
    throw new NotFoundError("gate", id, "list gates with `wb gate show`");
  }
  return toGate(row);
}

/** Gates, newest first, optionally of one task. */
export async function listGates(
  store: Store,
  options: { task?: string | undefined } = {},
): Promise<GateRow[]> {
  let query = store.db.selectFrom("gates").selectAll()
    .orderBy("created_at", "desc").orderBy("id", "desc");
  if (options.task) query = query.where("task", "=", options.task);
  return (await query.execute()).map(toGate);
}

/** A gate's decisions, oldest first. */
export async function listDecisions(
  store: Store,
  gateId: string,
): Promise<GateDecisionRow[]> {
  return await store.db.selectFrom("gate_decisions").selectAll()
    .where("gate_id", "=", gateId).orderBy("created_at").orderBy("id")
    .execute();
}

/** A prompt version's identity by task and number, if it exists. */
export async function findPromptVersion(
  store: Store,
  task: string,
  version: number,
): Promise<PromptVersionDigest | undefined> {
  return await store.db.selectFrom("prompt_versions")
    .select(["id", "task", "version", "sha256"])
    .where("task", "=", task).where("version", "=", version)
    .executeTakeFirst();
}

/** A prompt version's identity by id, if it exists. */
export async function findPromptVersionById(
  store: Store,
  id: string,
): Promise<PromptVersionDigest | undefined> {
  return await store.db.selectFrom("prompt_versions")
    .select(["id", "task", "version", "sha256"])
    .where("id", "=", id).executeTakeFirst();
}

/**
 * The content hash of a run's results as they are now: every cell's status,
 * output, check scores, rubric scores and judge error, in cell order. A run
 * re-scored after a decision gets a different digest.
 */
export async function runResultsDigest(
  store: Store,
  runId: string,
): Promise<string> {
  const rows = await store.db.selectFrom("results")
    .select([
      "case_key",
      "repetition",
      "status",
      "output",
      "checks",
      "rubric",
      "judge_error",
    ])
    .where("run_id", "=", runId).orderBy("case_key").orderBy("repetition")
    .execute();
  return contentHash(rows.map((r) => ({
    case_key: r.case_key,
    repetition: r.repetition,
    status: r.status,
    output: r.output,
    checks: JSON.parse(r.checks),
    rubric: r.rubric === null ? null : JSON.parse(r.rubric),
    judge_error: r.judge_error,
  })));
}

/** Inserts an alias move and its trace event in one transaction. */
export async function insertAliasMove(
  store: Store,
  move: Omit<AliasMoveRow, "seq">,
  events: readonly TraceEvent[],
): Promise<AliasMoveRow> {
  return await store.db.transaction().execute(async (trx) => {
    const { seq } = await trx.insertInto("alias_moves").values(move)
      .returning("seq").executeTakeFirstOrThrow();
    await insertTraceEvents(trx, events);
    return { ...move, seq };
  });
}

/** Every move of a task's aliases (or of one alias), oldest first. */
export async function listAliasMoves(
  store: Store,
  task: string,
  alias?: string,
): Promise<AliasMoveRow[]> {
  let query = store.db.selectFrom("alias_moves").selectAll()
    .where("task", "=", task).orderBy("seq");
  if (alias !== undefined) query = query.where("alias", "=", alias);
  return await query.execute();
}

/** The alias move a gate allowed, if the gate was used. */
export async function findAliasMoveByGate(
  store: Store,
  gateId: string,
): Promise<AliasMoveRow | undefined> {
  return await store.db.selectFrom("alias_moves").selectAll()
    .where("gate_id", "=", gateId).executeTakeFirst();
}
