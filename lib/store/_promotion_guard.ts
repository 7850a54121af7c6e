/**
 * Migration 0003: the promotion guard. The database itself refuses an alias
 * move (a row in `alias_moves`) unless its gate
 *
 * - judges this task, alias and prompt version (the gate's subject),
 * - was not used for a move before (a trigger, and a unique index that
 *   also holds between two concurrent writers), and
 * - is approved by the decisions recorded on it: decisions count only when
 *   made on the gate's subject hash and recorded on the gate's trace (an
 *   event naming the gate and the decision); the policy's verdict, when the
 *   policy reads one, is the first such policy decision and must approve;
 *   a human rejection refuses when the policy says rejections block; and
 *   the distinct human approvers (case and surrounding spaces ignored; the
 *   requester only when the policy allows self-approval) reach the policy's
 *   count.
 *
 * This is the part of `evaluateGate` that rows alone can decide. The rest
 * stays in code (`promote`): the trace's hash chain is verified, and the
 * subject is re-hashed from the current records to catch content changed
 * since the decisions. Where the two engines' text functions differ from
 * JavaScript's (SQLite's `lower` folds ASCII only; `trim` removes spaces
 * only), the guard can count more distinct people than `promote` does,
 * never fewer: it never refuses a move `promote` allows.
 *
 * @module
 */
import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { StoreDialect } from "./open.ts";

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any>;

/** A decision `d` of gate `g` that counts (SQLite). */
const SQLITE_COUNTED = `d.gate_id = g.id AND d.subject_sha256 = g.subject_sha256
  AND EXISTS (SELECT 1 FROM trace_events e WHERE e.trace_id = g.trace_id
    AND json_extract(e.data, '$.gate_id') = g.id
    AND json_extract(e.data, '$.decision_id') = d.id)`;

const SQLITE_APPROVED = `(
  coalesce(json_array_length(g.policy, '$.accepted_verdicts'), 1) = 0
  OR (SELECT d.decision FROM gate_decisions d
      WHERE ${SQLITE_COUNTED} AND d.kind = 'policy'
      ORDER BY d.created_at, d.id LIMIT 1) = 'approve'
) AND (
  coalesce(json_extract(g.policy, '$.rejection_blocks'), 1) = 0
  OR NOT EXISTS (SELECT 1 FROM gate_decisions d
      WHERE ${SQLITE_COUNTED} AND d.kind = 'human' AND d.decision = 'reject')
) AND (
  SELECT count(DISTINCT lower(trim(d.actor))) FROM gate_decisions d
  WHERE ${SQLITE_COUNTED} AND d.kind = 'human' AND d.decision = 'approve'
    AND (coalesce(json_extract(g.policy, '$.allow_self_approval'), 0) = 1
      OR lower(trim(d.actor)) <> lower(trim(g.requested_by)))
) >= coalesce(json_extract(g.policy, '$.approvals'), 1)`;

const SQLITE_GUARD = `
CREATE TRIGGER alias_moves_guard BEFORE INSERT ON alias_moves
BEGIN
  SELECT RAISE(ABORT, 'Cannot move the alias: its gate was already used for a move, and a gate allows one move; request a new gate')
  WHERE EXISTS (SELECT 1 FROM alias_moves WHERE gate_id = NEW.gate_id);
  SELECT RAISE(ABORT, 'Cannot move the alias: its gate does not exist or judges another task, alias or prompt version; request a gate for this move')
  WHERE NOT EXISTS (SELECT 1 FROM gates g WHERE g.id = NEW.gate_id
    AND json_extract(g.subject, '$.task') = NEW.task
    AND json_extract(g.subject, '$.alias') = NEW.alias
    AND json_extract(g.subject, '$.prompt_version.id') = NEW.prompt_version_id);
  SELECT RAISE(ABORT, 'Cannot move the alias: its gate is not approved by the decisions recorded on it; see wb gate show')
  WHERE NOT EXISTS (SELECT 1 FROM gates g WHERE g.id = NEW.gate_id
    AND ${SQLITE_APPROVED});
END`;

/** A decision `d` of gate `g` that counts (PostgreSQL). */
const PG_COUNTED = `d.gate_id = g.id AND d.subject_sha256 = g.subject_sha256
  AND EXISTS (SELECT 1 FROM trace_events e WHERE e.trace_id = g.trace_id
    AND e.data::jsonb ->> 'gate_id' = g.id
    AND e.data::jsonb ->> 'decision_id' = d.id)`;

const PG_GUARD_FUNCTION = `
CREATE OR REPLACE FUNCTION wb_alias_move_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  g gates%ROWTYPE;
  policy jsonb;
  subject jsonb;
  verdict text;
  approvers integer;
BEGIN
  IF EXISTS (SELECT 1 FROM alias_moves WHERE gate_id = NEW.gate_id) THEN
    RAISE EXCEPTION 'Cannot move the alias: its gate "%" was already used for a move, and a gate allows one move; request a new gate', NEW.gate_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT * INTO g FROM gates WHERE id = NEW.gate_id;
  subject := CASE WHEN FOUND THEN g.subject::jsonb END;
  IF subject IS NULL OR subject ->> 'task' IS DISTINCT FROM NEW.task
     OR subject ->> 'alias' IS DISTINCT FROM NEW.alias
     OR subject -> 'prompt_version' ->> 'id' IS DISTINCT FROM NEW.prompt_version_id THEN
    RAISE EXCEPTION 'Cannot move the alias: its gate "%" does not exist or judges another task, alias or prompt version; request a gate for this move', NEW.gate_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  policy := g.policy::jsonb;
  IF coalesce(jsonb_array_length(policy -> 'accepted_verdicts'), 1) > 0 THEN
    SELECT d.decision INTO verdict FROM gate_decisions d
      WHERE ${PG_COUNTED} AND d.kind = 'policy'
      ORDER BY d.created_at, d.id LIMIT 1;
    IF verdict IS DISTINCT FROM 'approve' THEN
      RAISE EXCEPTION 'Cannot move the alias: its gate "%" is not approved by the decisions recorded on it (the policy''s verdict is %); see wb gate show', NEW.gate_id, coalesce(verdict, 'missing')
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  IF coalesce((policy ->> 'rejection_blocks')::boolean, true) AND EXISTS (
    SELECT 1 FROM gate_decisions d
    WHERE ${PG_COUNTED} AND d.kind = 'human' AND d.decision = 'reject'
  ) THEN
    RAISE EXCEPTION 'Cannot move the alias: its gate "%" is not approved by the decisions recorded on it (a person rejected it); see wb gate show', NEW.gate_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT count(DISTINCT lower(btrim(d.actor))) INTO approvers FROM gate_decisions d
    WHERE ${PG_COUNTED} AND d.kind = 'human' AND d.decision = 'approve'
      AND (coalesce((policy ->> 'allow_self_approval')::boolean, false)
        OR lower(btrim(d.actor)) <> lower(btrim(g.requested_by)));
  IF approvers < coalesce((policy ->> 'approvals')::integer, 1) THEN
    RAISE EXCEPTION 'Cannot move the alias: its gate "%" is not approved by the decisions recorded on it (% of % approvals); see wb gate show', NEW.gate_id, approvers, coalesce((policy ->> 'approvals')::integer, 1)
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$`;

/** The promotion guard migration for one engine. */
export function promotionGuard(dialect: StoreDialect): Migration {
  return {
    async up(db: AnyDb) {
      if (dialect === "postgres") {
        await sql.raw(PG_GUARD_FUNCTION).execute(db);
        await sql.raw(
          `CREATE TRIGGER alias_moves_guard BEFORE INSERT ON alias_moves
           FOR EACH ROW EXECUTE FUNCTION wb_alias_move_guard()`,
        ).execute(db);
      } else {
        await sql.raw(SQLITE_GUARD).execute(db);
      }
      await db.schema.createIndex("alias_moves_gate").unique()
        .on("alias_moves").column("gate_id").execute();
    },
  };
}
