import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";
import type { StoreDialect } from "./open.ts";
import { promotionGuard } from "./_promotion_guard.ts";
import { workerTables } from "./_worker_tables.ts";
import { columnTypes } from "./_dialect.ts";
import { type BodyRow, bodyRow } from "./bodies.ts";
import { REUSED_COLUMNS } from "./tables.ts";

/** Tables that refuse UPDATE and DELETE: history that must never be rewritten. */
export const APPEND_ONLY_TABLES = [
  "prompt_versions",
  "model_io",
  "trace_events",
  "gate_decisions",
  "alias_moves",
  "artifacts",
  "comparisons",
  "prices",
  "catalog_heads",
] as const;

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any>;

async function appendOnly(
  db: AnyDb,
  dialect: StoreDialect,
  table: string,
  only?: "UPDATE",
): Promise<void> {
  if (dialect === "postgres") {
    // Row triggers refuse UPDATE and DELETE; TRUNCATE, which skips row
    // triggers, is refused by a statement trigger.
    for (const op of only ? [only] : ["UPDATE", "DELETE", "TRUNCATE"]) {
      const each = op === "TRUNCATE" ? "STATEMENT" : "ROW";
      await sql.raw(
        `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
         FOR EACH ${each} EXECUTE FUNCTION wb_append_only()`,
      ).execute(db);
    }
    return;
  }
  for (const op of only ? [only] : ["UPDATE", "DELETE"]) {
    await sql
      .raw(
        `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
         BEGIN SELECT RAISE(ABORT, '${table} is append-only: ${op} is refused; record a new row instead'); END`,
      )
      .execute(db);
  }
}

/** The function PostgreSQL's append-only triggers call (its message is SQLite's). */
const PG_APPEND_ONLY_FUNCTION = `
CREATE OR REPLACE FUNCTION wb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is refused; record a new row instead',
    TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$`;

function initial(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable("tasks")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("name", t.text, (c) => c.notNull())
        .addColumn("definition", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("tasks_name").on("tasks").column("name")
        .execute();

      await db.schema.createTable("prompt_versions")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("system", t.text, (c) => c.notNull())
        .addColumn("template", t.text, (c) => c.notNull())
        .addColumn("params", t.text, (c) => c.notNull())
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("author", t.text, (c) => c.notNull())
        .addColumn("note", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .addUniqueConstraint("prompt_versions_task_version", [
          "task",
          "version",
        ])
        .execute();

      await db.schema.createTable("datasets")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("case_count", "integer", (c) => c.notNull())
        .addColumn("slice_counts", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("test_cases")
        .addColumn(
          "dataset_id",
          t.text,
          (c) => t.references(c.notNull(), "datasets.id"),
        )
        .addColumn("case_key", t.text, (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("slice", t.text, (c) => c.notNull())
        .addColumn("input", t.text, (c) => c.notNull())
        .addColumn("expected", t.text, (c) => c.notNull())
        .addColumn("note", t.text)
        .addPrimaryKeyConstraint("test_cases_pk", ["dataset_id", "case_key"])
        .execute();
      // A dataset's cases are read in file order, a page at a time.
      await db.schema.createIndex("test_cases_position")
        .on("test_cases").columns(["dataset_id", "position"]).execute();

      await db.schema.createTable("model_configs")
        .addColumn("id", t.text, (c) => c.notNull())
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("provider", t.text, (c) => c.notNull())
        .addColumn("model", t.text, (c) => c.notNull())
        .addColumn("config", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .addPrimaryKeyConstraint("model_configs_pk", ["id", "sha256"])
        .execute();

      await db.schema.createTable("prices")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("provider", t.text, (c) => c.notNull())
        .addColumn("model", t.text, (c) => c.notNull())
        .addColumn("currency", t.text, (c) => c.notNull())
        .addColumn("input_per_mtok", t.text, (c) => c.notNull())
        .addColumn("output_per_mtok", t.text, (c) => c.notNull())
        .addColumn("cache_read_per_mtok", t.text)
        .addColumn("cache_write_per_mtok", t.text)
        .addColumn("valid_from", t.text, (c) => c.notNull())
        .addColumn("source", t.text)
        .execute();

      await db.schema.createTable("runs")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("experiment_id", t.text, (c) => c.notNull())
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("task_id", t.text, (c) => c.notNull())
        .addColumn("prompt_version_id", t.text, (c) => c.notNull())
        .addColumn("model_config_id", t.text, (c) => c.notNull())
        .addColumn("model_config_sha256", t.text, (c) => c.notNull())
        .addColumn("judge_config_id", t.text)
        .addColumn("dataset_id", t.text, (c) => c.notNull())
        .addColumn("repetitions", "integer", (c) => c.notNull())
        .addColumn("status", t.text, (c) => c.notNull())
        .addColumn("flags", t.text, (c) => c.notNull())
        .addColumn("workflow", t.text, (c) => c.notNull())
        .addColumn("trace_id", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .addColumn("finished_at", t.text)
        .execute();
      await db.schema.createIndex("runs_task").on("runs").column("task")
        .execute();

      await db.schema.createTable("model_io")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("run_id", t.text)
        .addColumn("trace_id", t.text)
        .addColumn("purpose", t.text, (c) => c.notNull())
        .addColumn("provider", t.text, (c) => c.notNull())
        .addColumn("model", t.text, (c) => c.notNull())
        .addColumn("model_config_id", t.text)
        .addColumn("request", t.text, (c) => c.notNull())
        .addColumn("response", t.text)
        .addColumn("text", t.text)
        .addColumn("input_tokens", "integer")
        .addColumn("output_tokens", "integer")
        .addColumn("cache_read_tokens", "integer")
        .addColumn("cache_write_tokens", "integer")
        .addColumn("cost", t.text)
        .addColumn("uncached_cost", t.text)
        .addColumn("currency", t.text)
        .addColumn("price_id", t.text)
        .addColumn("latency_ms", t.real, (c) => c.notNull())
        .addColumn("status", t.text, (c) => c.notNull())
        .addColumn("error", t.text)
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("cache_key", t.text)
        .addColumn("cached_from", t.text)
        .addColumn("provider_response_id", t.text)
        .addColumn("stop_reason", t.text)
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("model_io_run").on("model_io").column(
        "run_id",
      )
        .execute();
      await db.schema.createIndex("model_io_cache_key").on("model_io").column(
        "cache_key",
      )
        .execute();

      await db.schema.createTable("results")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn(
          "run_id",
          t.text,
          (c) => t.references(c.notNull(), "runs.id"),
        )
        .addColumn("case_key", t.text, (c) => c.notNull())
        .addColumn("repetition", "integer", (c) => c.notNull())
        .addColumn("slice", t.text, (c) => c.notNull())
        .addColumn("generation_io_id", t.text)
        .addColumn("judge_io_ids", t.text, (c) => c.notNull())
        .addColumn("output", t.text)
        .addColumn("status", t.text, (c) => c.notNull())
        .addColumn("checks", t.text, (c) => c.notNull())
        .addColumn("rubric", t.text)
        .addColumn("judge_error", t.text)
        .addColumn("created_at", t.text, (c) => c.notNull())
        .addColumn("scored_at", t.text, (c) => c.notNull())
        .addUniqueConstraint("results_cell", [
          "run_id",
          "case_key",
          "repetition",
        ])
        .execute();

      await db.schema.createTable("scorecards")
        .addColumn("sha256", t.text, (c) => c.primaryKey())
        .addColumn("run_id", t.text, (c) => c.notNull())
        .addColumn("body", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("scorecards_run").on("scorecards").column(
        "run_id",
      ).execute();

      await db.schema.createTable("workflows")
        .addColumn("trace_id", t.text, (c) => c.primaryKey())
        .addColumn("name", t.text, (c) => c.notNull())
        .addColumn("snapshot", t.text, (c) => c.notNull())
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("trace_events")
        .addColumn("seq", t.serial, t.serialKey)
        .addColumn("trace_id", t.text, (c) => c.notNull())
        .addColumn("index", "integer", (c) => c.notNull())
        .addColumn("type", t.text, (c) => c.notNull())
        .addColumn("step", t.text)
        .addColumn("at", t.text, (c) => c.notNull())
        .addColumn("data", t.text, (c) => c.notNull())
        .addColumn("prev_hash", t.text, (c) => c.notNull())
        .addColumn("hash", t.text, (c) => c.notNull())
        .addUniqueConstraint("trace_events_position", ["trace_id", "index"])
        .execute();

      await db.schema.createTable("artifacts")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("key", t.text, (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("media_type", t.text, (c) => c.notNull())
        .addColumn("body", t.text, (c) => c.notNull())
        .addColumn("parent_id", t.text)
        .addColumn("step", t.text)
        .addColumn("trace_id", t.text)
        .addColumn("created_by", t.text)
        .addColumn("created_at", t.text, (c) => c.notNull())
        .addUniqueConstraint("artifacts_key_version", ["key", "version"])
        .execute();

      await db.schema.createTable("comparisons")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("baseline_run_id", t.text, (c) => c.notNull())
        .addColumn("candidate_run_id", t.text, (c) => c.notNull())
        .addColumn("mode", t.text, (c) => c.notNull())
        .addColumn("limits", t.text, (c) => c.notNull())
        .addColumn("verdict", t.text, (c) => c.notNull())
        .addColumn("body", t.text, (c) => c.notNull())
        .addColumn("baseline_scorecard_sha256", t.text, (c) => c.notNull())
        .addColumn("candidate_scorecard_sha256", t.text, (c) => c.notNull())
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("trace_id", t.text)
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("gates")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("task", t.text)
        .addColumn("subject", t.text, (c) => c.notNull())
        .addColumn("subject_sha256", t.text, (c) => c.notNull())
        .addColumn("policy", t.text, (c) => c.notNull())
        .addColumn("requested_by", t.text, (c) => c.notNull())
        .addColumn("trace_id", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("gate_decisions")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn(
          "gate_id",
          t.text,
          (c) => t.references(c.notNull(), "gates.id"),
        )
        .addColumn("kind", t.text, (c) => c.notNull())
        .addColumn("actor", t.text, (c) => c.notNull())
        .addColumn("decision", t.text, (c) => c.notNull())
        .addColumn("reason", t.text, (c) => c.notNull())
        .addColumn("subject_sha256", t.text, (c) => c.notNull())
        .addColumn("comparison_id", t.text)
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("alias_moves")
        .addColumn("seq", t.serial, t.serialKey)
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("alias", t.text, (c) => c.notNull())
        .addColumn("prompt_version_id", t.text, (c) => c.notNull())
        .addColumn(
          "gate_id",
          t.text,
          (c) => t.references(c.notNull(), "gates.id"),
        )
        .addColumn("moved_by", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("labels")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("task", t.text, (c) => c.notNull())
        .addColumn("case_key", t.text, (c) => c.notNull())
        .addColumn("repetition", "integer")
        .addColumn("output_sha256", t.text, (c) => c.notNull())
        .addColumn("labeller", t.text, (c) => c.notNull())
        .addColumn("scores", t.text, (c) => c.notNull())
        .addColumn("note", t.text)
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();

      await db.schema.createTable("catalog_heads")
        .addColumn("seq", t.serial, t.serialKey)
        .addColumn("kind", t.text, (c) => c.notNull())
        .addColumn("key", t.text, (c) => c.notNull())
        .addColumn("ref", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("catalog_heads_key").on("catalog_heads")
        .columns(["kind", "key", "seq"]).execute();

      if (dialect === "postgres") {
        await sql.raw(PG_APPEND_ONLY_FUNCTION).execute(db);
      }
      for (const table of APPEND_ONLY_TABLES) {
        await appendOnly(db, dialect, table);
      }
    },
  };
}

/**
 * Runs planned before they start, with the settings they run with, and the
 * calls their sessions sent (counted before each send, so a crash cannot
 * hide a paid call): see docs/ARCHITECTURE.md, "Crash safety".
 */
function runSessions(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("runs").addColumn("settings", t.text)
        .execute();
      await db.schema.alterTable("runs").addColumn("position", "integer")
        .execute();
      await db.schema.alterTable("runs")
        .addColumn("calls_sent", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable("runs")
        .addColumn(
          "unreceipted_calls",
          "integer",
          (c) => c.notNull().defaultTo(0),
        )
        .execute();
      await db.schema.createIndex("runs_experiment").on("runs")
        .columns(["experiment_id", "position"]).execute();
    },
  };
}

/** Receipt rows copied per statement while `model_io` is rebuilt. */
const ROWS_PER_COPY = 500;

/**
 * Request and response bodies stored once (see lib/store/bodies.ts): a
 * `bodies` table keyed by the sha256 of each body's text, and `model_io`
 * rebuilt with `request_sha256` and `response_sha256` in place of the
 * bodies. Existing receipts are copied over page by page, their bodies
 * moved into `bodies`; a receipt's own `sha256` is untouched. The table is
 * rebuilt rather than altered because SQLite cannot drop a column's NOT
 * NULL, and `model_io` refuses UPDATE.
 */
function storedBodies(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable("bodies")
        .addColumn("sha256", t.text, (c) => c.primaryKey())
        .addColumn("body", t.text, (c) => c.notNull())
        .execute();
      await appendOnly(db, dialect, "bodies");

      await db.schema.createTable("model_io_next")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("run_id", t.text)
        .addColumn("trace_id", t.text)
        .addColumn("purpose", t.text, (c) => c.notNull())
        .addColumn("provider", t.text, (c) => c.notNull())
        .addColumn("model", t.text, (c) => c.notNull())
        .addColumn("model_config_id", t.text)
        .addColumn("request_sha256", t.text, (c) => c.notNull())
        .addColumn("response_sha256", t.text)
        .addColumn("text", t.text)
        .addColumn("input_tokens", "integer")
        .addColumn("output_tokens", "integer")
        .addColumn("cache_read_tokens", "integer")
        .addColumn("cache_write_tokens", "integer")
        .addColumn("cost", t.text)
        .addColumn("uncached_cost", t.text)
        .addColumn("currency", t.text)
        .addColumn("price_id", t.text)
        .addColumn("latency_ms", t.real, (c) => c.notNull())
        .addColumn("status", t.text, (c) => c.notNull())
        .addColumn("error", t.text)
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("cache_key", t.text)
        .addColumn("cached_from", t.text)
        .addColumn("provider_response_id", t.text)
        .addColumn("stop_reason", t.text)
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      let after: string | null = null;
      for (;;) {
        let page = db.selectFrom("model_io").selectAll().orderBy("id")
          .limit(ROWS_PER_COPY);
        if (after !== null) page = page.where("id", ">", after);
        const rows = await page.execute();
        if (rows.length === 0) break;
        const bodies = new Map<string, BodyRow>();
        const body = (text: string | null): string | null => {
          if (text === null) return null;
          const row = bodyRow(text);
          bodies.set(row.sha256, row);
          return row.sha256;
        };
        const copies = rows.map((row) => {
          const { request, response, ...rest } = row;
          return {
            ...rest,
            request_sha256: body(request),
            response_sha256: body(response),
          };
        });
        await db.insertInto("bodies").values([...bodies.values()])
          .onConflict((oc) => oc.doNothing()).execute();
        await db.insertInto("model_io_next").values(copies).execute();
        after = rows[rows.length - 1]!.id as string;
      }
      await db.schema.dropTable("model_io").execute();
      await db.schema.alterTable("model_io_next").renameTo("model_io")
        .execute();
      await db.schema.createIndex("model_io_run").on("model_io")
        .column("run_id").execute();
      await db.schema.createIndex("model_io_cache_key").on("model_io")
        .column("cache_key").execute();
      await appendOnly(db, dialect, "model_io");
    },
  };
}

/**
 * A request's large members (system prompt, messages) stored as bodies of
 * their own, so a prompt shared by calls whose requests differ elsewhere is
 * stored once: `request_parts` names them (see lib/store/bodies.ts). Rows
 * before it have none: their request body is the whole request.
 */
function requestParts(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("model_io").addColumn("request_parts", t.text)
        .execute();
    },
  };
}

/**
 * The `receipts` view: a `model_io` row with what a cache hit shares with
 * its original taken from the original (see `ModelIoTable`): the columns
 * of `REUSED_COLUMNS`, as migration 0007 made the view, and those added
 * since (`added`).
 */
const receiptsView = (added: readonly string[]) =>
  `CREATE VIEW receipts AS SELECT m.id, m.run_id,
  m.trace_id, m.purpose, m.provider, m.model, m.model_config_id,
  CASE WHEN m.request_sha256 IS NULL THEN o.request_sha256 ELSE m.request_sha256 END AS request_sha256,
  CASE WHEN m.request_sha256 IS NULL THEN o.request_parts ELSE m.request_parts END AS request_parts,
  ${
    [...REUSED_COLUMNS, ...added].map((c) =>
      `CASE WHEN m.response_sha256 IS NULL AND m.cached_from IS NOT NULL THEN o.${c} ELSE m.${c} END AS ${c}`
    ).join(",\n  ")
  },
  m.cost, m.uncached_cost, m.latency_ms, m.status, m.error, m.attempts,
  m.cache_key, m.cached_from, m.sha256, m.created_at,
  CASE WHEN m.request_sha256 IS NULL THEN o.sha256 END AS cached_sha256
FROM model_io m LEFT JOIN model_io o
  ON m.cached_from IS NOT NULL AND m.response_sha256 IS NULL AND o.id = m.cached_from`;

/**
 * A cache hit stored as a reference to the receipt it reuses, and the text
 * of a receipt stored once (in its response): `model_io` rebuilt with
 * `request_sha256` nullable (a hit written since has no request of its
 * own), and the `receipts` view that reads a hit whole. Existing hits whose
 * shared columns equal their original's are copied without them (they keep
 * their own request and their `sha256`, which covers their full content, as
 * read through the view); a `text` equal to the response's text is copied
 * as null. Nothing else changes; rows are copied page by page.
 */
function receiptReferences(dialect: StoreDialect): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema.createTable("model_io_next")
        .addColumn("id", t.text, (c) => c.primaryKey())
        .addColumn("run_id", t.text)
        .addColumn("trace_id", t.text)
        .addColumn("purpose", t.text, (c) => c.notNull())
        .addColumn("provider", t.text, (c) => c.notNull())
        .addColumn("model", t.text, (c) => c.notNull())
        .addColumn("model_config_id", t.text)
        .addColumn("request_sha256", t.text)
        .addColumn("request_parts", t.text)
        .addColumn("response_sha256", t.text)
        .addColumn("text", t.text)
        .addColumn("input_tokens", "integer")
        .addColumn("output_tokens", "integer")
        .addColumn("cache_read_tokens", "integer")
        .addColumn("cache_write_tokens", "integer")
        .addColumn("cost", t.text)
        .addColumn("uncached_cost", t.text)
        .addColumn("currency", t.text)
        .addColumn("price_id", t.text)
        .addColumn("latency_ms", t.real, (c) => c.notNull())
        .addColumn("status", t.text, (c) => c.notNull())
        .addColumn("error", t.text)
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("cache_key", t.text)
        .addColumn("cached_from", t.text)
        .addColumn("provider_response_id", t.text)
        .addColumn("stop_reason", t.text)
        .addColumn("sha256", t.text, (c) => c.notNull())
        .addColumn("created_at", t.text, (c) => c.notNull())
        .execute();
      let after: string | null = null;
      for (;;) {
        let page = db.selectFrom("model_io").selectAll().orderBy("id")
          .limit(ROWS_PER_COPY);
        if (after !== null) page = page.where("id", ">", after);
        const rows = await page.execute();
        if (rows.length === 0) break;
        const reusedIds = [
          ...new Set(
            rows.filter((r) => r.cached_from !== null && r.response_sha256)
              .map((r) => r.cached_from as string),
          ),
        ];
        const originals = new Map<string, Record<string, unknown>>();
        if (reusedIds.length > 0) {
          for (
            const o of await db.selectFrom("model_io").selectAll()
              .where("id", "in", reusedIds).where("cached_from", "is", null)
              .execute()
          ) originals.set(o.id as string, o);
        }
        const responses = new Map<string, string>();
        const hashes = [
          ...new Set(
            rows.filter((r) => typeof r.text === "string")
              .map((r) => r.response_sha256 as string | null)
              .filter((h): h is string => h !== null),
          ),
        ];
        if (hashes.length > 0) {
          for (
            const b of await db.selectFrom("bodies").select(["sha256", "body"])
              .where("sha256", "in", hashes).execute()
          ) responses.set(b.sha256 as string, b.body as string);
        }
        const copies = rows.map((row) => {
          const copy: Record<string, unknown> = { ...row };
          const response = row.response_sha256 === null
            ? undefined
            : responses.get(row.response_sha256 as string);
          if (
            typeof row.text === "string" && response !== undefined &&
            responseText(response) === row.text
          ) copy.text = null;
          const original = row.cached_from === null
            ? undefined
            : originals.get(row.cached_from as string);
          if (
            original !== undefined &&
            REUSED_COLUMNS.every((c) =>
              c === "text"
                ? (row.text ?? null) === (original.text ?? null)
                : row[c] === original[c]
            )
          ) {
            for (const c of REUSED_COLUMNS) copy[c] = null;
          }
          return copy;
        });
        await db.insertInto("model_io_next").values(copies).execute();
        after = rows[rows.length - 1]!.id as string;
      }
      await db.schema.dropTable("model_io").execute();
      await db.schema.alterTable("model_io_next").renameTo("model_io")
        .execute();
      await db.schema.createIndex("model_io_run").on("model_io")
        .column("run_id").execute();
      await db.schema.createIndex("model_io_cache_key").on("model_io")
        .column("cache_key").execute();
      await appendOnly(db, dialect, "model_io");
      await sql.raw(receiptsView([])).execute(db);
    },
  };
}

/** The `text` member of a response's canonical JSON, or undefined. */
function responseText(response: string): string | undefined {
  const parsed = JSON.parse(response) as { text?: unknown };
  return typeof parsed.text === "string" ? parsed.text : undefined;
}

/**
 * Whether a receipt's call was sent cold (its response says
 * `connection_cold`) as a column of its own, `model_io.connection_cold` (1
 * when cold, null otherwise), so a run's latency figures are read without
 * reading a response body. The receipts already stored get it from their
 * responses (the UPDATE guard of the append-only table is lifted for that
 * one statement, inside the migration's transaction); the `receipts` view
 * gives a hit stored as a reference its original's, as it does the rest of
 * the response.
 */
function connectionCold(dialect: StoreDialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema.alterTable("model_io")
        .addColumn("connection_cold", "integer").execute();
      await sql.raw(
        dialect === "postgres"
          ? "DROP TRIGGER model_io_no_update ON model_io"
          : "DROP TRIGGER model_io_no_update",
      ).execute(db);
      // Canonical JSON escapes every quote inside a string: the unescaped
      // text can only be the response's own member.
      await sql.raw(
        `UPDATE model_io SET connection_cold = 1 WHERE response_sha256 IN (SELECT sha256 FROM bodies WHERE body LIKE '%"connection_cold":true%')`,
      ).execute(db);
      await appendOnly(db, dialect, "model_io", "UPDATE");
      await sql.raw("DROP VIEW receipts").execute(db);
      await sql.raw(receiptsView(["connection_cold"])).execute(db);
    },
  };
}

/**
 * Every migration, by name, for one engine. Names sort in the order they
 * apply; a migration once released is never edited, only followed by a new
 * one. Both engines get the same tables, columns, keys and guards. A new
 * migration's name goes in `MIGRATION_NAMES` (`_migration_names.ts`) too.
 */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    "0001_initial": initial(dialect),
    "0002_run_sessions": runSessions(dialect),
    "0003_promotion_guard": promotionGuard(dialect),
    "0004_worker_tables": workerTables(dialect),
    "0005_stored_bodies": storedBodies(dialect),
    "0006_request_parts": requestParts(dialect),
    "0007_receipt_references": receiptReferences(dialect),
    "0008_connection_cold": connectionCold(dialect),
  };
}
