import { type Kysely, sql } from "kysely";
import type { Migration } from "kysely/migration";

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

async function appendOnly(db: AnyDb, table: string): Promise<void> {
  for (const op of ["UPDATE", "DELETE"]) {
    await sql
      .raw(
        `CREATE TRIGGER IF NOT EXISTS ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
         BEGIN SELECT RAISE(ABORT, '${table} is append-only: ${op} is refused; record a new row instead'); END`,
      )
      .execute(db);
  }
}

const initial: Migration = {
  async up(db: AnyDb) {
    await db.schema.createTable("tasks")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("definition", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("tasks_name").on("tasks").column("name")
      .execute();

    await db.schema.createTable("prompt_versions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("system", "text", (c) => c.notNull())
      .addColumn("template", "text", (c) => c.notNull())
      .addColumn("params", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("author", "text", (c) => c.notNull())
      .addColumn("note", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addUniqueConstraint("prompt_versions_task_version", ["task", "version"])
      .execute();

    await db.schema.createTable("datasets")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("case_count", "integer", (c) => c.notNull())
      .addColumn("slice_counts", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("test_cases")
      .addColumn(
        "dataset_id",
        "text",
        (c) => c.notNull().references("datasets.id"),
      )
      .addColumn("case_key", "text", (c) => c.notNull())
      .addColumn("position", "integer", (c) => c.notNull())
      .addColumn("slice", "text", (c) => c.notNull())
      .addColumn("input", "text", (c) => c.notNull())
      .addColumn("expected", "text", (c) => c.notNull())
      .addColumn("note", "text")
      .addPrimaryKeyConstraint("test_cases_pk", ["dataset_id", "case_key"])
      .execute();
    // A dataset's cases are read in file order, a page at a time.
    await db.schema.createIndex("test_cases_position")
      .on("test_cases").columns(["dataset_id", "position"]).execute();

    await db.schema.createTable("model_configs")
      .addColumn("id", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_configs_pk", ["id", "sha256"])
      .execute();

    await db.schema.createTable("prices")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("currency", "text", (c) => c.notNull())
      .addColumn("input_per_mtok", "text", (c) => c.notNull())
      .addColumn("output_per_mtok", "text", (c) => c.notNull())
      .addColumn("cache_read_per_mtok", "text")
      .addColumn("cache_write_per_mtok", "text")
      .addColumn("valid_from", "text", (c) => c.notNull())
      .addColumn("source", "text")
      .execute();

    await db.schema.createTable("runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("experiment_id", "text", (c) => c.notNull())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("task_id", "text", (c) => c.notNull())
      .addColumn("prompt_version_id", "text", (c) => c.notNull())
      .addColumn("model_config_id", "text", (c) => c.notNull())
      .addColumn("model_config_sha256", "text", (c) => c.notNull())
      .addColumn("judge_config_id", "text")
      .addColumn("dataset_id", "text", (c) => c.notNull())
      .addColumn("repetitions", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("flags", "text", (c) => c.notNull())
      .addColumn("workflow", "text", (c) => c.notNull())
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("finished_at", "text")
      .execute();
    await db.schema.createIndex("runs_task").on("runs").column("task")
      .execute();

    await db.schema.createTable("model_io")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("run_id", "text")
      .addColumn("trace_id", "text")
      .addColumn("purpose", "text", (c) => c.notNull())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("model_config_id", "text")
      .addColumn("request", "text", (c) => c.notNull())
      .addColumn("response", "text")
      .addColumn("text", "text")
      .addColumn("input_tokens", "integer")
      .addColumn("output_tokens", "integer")
      .addColumn("cache_read_tokens", "integer")
      .addColumn("cache_write_tokens", "integer")
      .addColumn("cost", "text")
      .addColumn("uncached_cost", "text")
      .addColumn("currency", "text")
      .addColumn("price_id", "text")
      .addColumn("latency_ms", "real", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("cache_key", "text")
      .addColumn("cached_from", "text")
      .addColumn("provider_response_id", "text")
      .addColumn("stop_reason", "text")
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("model_io_run").on("model_io").column("run_id")
      .execute();
    await db.schema.createIndex("model_io_cache_key").on("model_io").column(
      "cache_key",
    )
      .execute();

    await db.schema.createTable("results")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
      .addColumn("case_key", "text", (c) => c.notNull())
      .addColumn("repetition", "integer", (c) => c.notNull())
      .addColumn("slice", "text", (c) => c.notNull())
      .addColumn("generation_io_id", "text")
      .addColumn("judge_io_ids", "text", (c) => c.notNull())
      .addColumn("output", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("checks", "text", (c) => c.notNull())
      .addColumn("rubric", "text")
      .addColumn("judge_error", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("scored_at", "text", (c) => c.notNull())
      .addUniqueConstraint("results_cell", ["run_id", "case_key", "repetition"])
      .execute();

    await db.schema.createTable("scorecards")
      .addColumn("sha256", "text", (c) => c.primaryKey())
      .addColumn("run_id", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("scorecards_run").on("scorecards").column(
      "run_id",
    ).execute();

    await db.schema.createTable("workflows")
      .addColumn("trace_id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("snapshot", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("trace_events")
      .addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("index", "integer", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("step", "text")
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addUniqueConstraint("trace_events_position", ["trace_id", "index"])
      .execute();

    await db.schema.createTable("artifacts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("media_type", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("parent_id", "text")
      .addColumn("step", "text")
      .addColumn("trace_id", "text")
      .addColumn("created_by", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addUniqueConstraint("artifacts_key_version", ["key", "version"])
      .execute();

    await db.schema.createTable("comparisons")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("baseline_run_id", "text", (c) => c.notNull())
      .addColumn("candidate_run_id", "text", (c) => c.notNull())
      .addColumn("mode", "text", (c) => c.notNull())
      .addColumn("limits", "text", (c) => c.notNull())
      .addColumn("verdict", "text", (c) => c.notNull())
      .addColumn("body", "text", (c) => c.notNull())
      .addColumn("baseline_scorecard_sha256", "text", (c) => c.notNull())
      .addColumn("candidate_scorecard_sha256", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("trace_id", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("gates")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task", "text")
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("subject_sha256", "text", (c) => c.notNull())
      .addColumn("policy", "text", (c) => c.notNull())
      .addColumn("requested_by", "text", (c) => c.notNull())
      .addColumn("trace_id", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("gate_decisions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("gate_id", "text", (c) => c.notNull().references("gates.id"))
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("decision", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .addColumn("subject_sha256", "text", (c) => c.notNull())
      .addColumn("comparison_id", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("alias_moves")
      .addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("alias", "text", (c) => c.notNull())
      .addColumn("prompt_version_id", "text", (c) => c.notNull())
      .addColumn("gate_id", "text", (c) => c.notNull().references("gates.id"))
      .addColumn("moved_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("labels")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("task", "text", (c) => c.notNull())
      .addColumn("case_key", "text", (c) => c.notNull())
      .addColumn("repetition", "integer")
      .addColumn("output_sha256", "text", (c) => c.notNull())
      .addColumn("labeller", "text", (c) => c.notNull())
      .addColumn("scores", "text", (c) => c.notNull())
      .addColumn("note", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema.createTable("catalog_heads")
      .addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("ref", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("catalog_heads_key").on("catalog_heads")
      .columns(["kind", "key", "seq"]).execute();

    for (const table of APPEND_ONLY_TABLES) await appendOnly(db, table);
  },
};

/**
 * Runs planned before they start, with the settings they run with, and the
 * calls their sessions sent (counted before each send, so a crash cannot
 * hide a paid call): see docs/ARCHITECTURE.md, "Crash safety".
 */
const runSessions: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable("runs").addColumn("settings", "text").execute();
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

/**
 * Every migration, by name. Names sort in the order they apply; a migration
 * once released is never edited, only followed by a new one.
 */
export const MIGRATIONS: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_run_sessions": runSessions,
};
