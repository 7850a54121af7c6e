/**
 * The names of every migration, in the order they apply: what opening an
 * already migrated store compares with, so that the migrations themselves
 * (and Kysely's migrator) load only when a store needs one.
 * `migrations()` in `migrations.ts` has exactly these keys (tested).
 *
 * @module
 */
export const MIGRATION_NAMES = [
  "0001_initial",
  "0002_run_sessions",
  "0003_promotion_guard",
  "0004_worker_tables",
  "0005_stored_bodies",
  "0006_request_parts",
  "0007_receipt_references",
  "0008_connection_cold",
] as const;
