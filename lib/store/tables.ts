/**
 * The database's tables as Kysely types. JSON columns hold canonical JSON
 * text; money columns hold decimal strings; times are ISO 8601 UTC strings.
 *
 * @module
 */
import type { ColumnType, Generated } from "kysely";

/** A task definition, versioned by the sha256 of its canonical content. */
export interface TasksTable {
  id: string;
  name: string;
  definition: string;
  created_at: string;
}

/** An immutable prompt version (append-only). */
export interface PromptVersionsTable {
  id: string;
  task: string;
  version: number;
  system: string;
  template: string;
  params: string;
  sha256: string;
  author: string;
  note: string;
  created_at: string;
}

/** A dataset version; id is the sha256 of its canonical cases. */
export interface DatasetsTable {
  id: string;
  task: string;
  case_count: number;
  slice_counts: string;
  created_at: string;
}

/** One case of a dataset version. */
export interface TestCasesTable {
  dataset_id: string;
  case_key: string;
  position: number;
  slice: string;
  input: string;
  expected: string;
  note: string | null;
}

/** A model configuration; a changed config under the same id is a new row. */
export interface ModelConfigsTable {
  id: string;
  sha256: string;
  provider: string;
  model: string;
  config: string;
  created_at: string;
}

/** Price history: rows are never changed, only added. */
export interface PricesTable {
  id: string;
  provider: string;
  model: string;
  currency: string;
  input_per_mtok: string;
  output_per_mtok: string;
  cache_read_per_mtok: string | null;
  cache_write_per_mtok: string | null;
  valid_from: string;
  source: string | null;
}

/** One run: one prompt version x one model config x one dataset version. */
export interface RunsTable {
  id: string;
  experiment_id: string;
  task: string;
  task_id: string;
  prompt_version_id: string;
  model_config_id: string;
  model_config_sha256: string;
  judge_config_id: string | null;
  dataset_id: string;
  repetitions: number;
  status: string;
  flags: string;
  workflow: string;
  trace_id: string;
  created_at: string;
  finished_at: string | null;
  /** The run's settings (canonical JSON of `RunSettings`); null for runs imported from bundles. */
  settings: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its place in its experiment's order; null for imported runs. */
  position: ColumnType<number | null, number | null | undefined, number | null>;
  /** Calls sent by its finished sessions (a live session's count is in its send journal). */
  calls_sent: ColumnType<number, number | undefined, number>;
  /** Calls sent but never receipted (a crash between the send and the commit), all sessions. */
  unreceipted_calls: ColumnType<number, number | undefined, number>;
}

/**
 * A receipt: one model call, as it happened (append-only).
 *
 * A cache hit is stored as a reference to the receipt it reuses
 * (`cached_from`): its `response_sha256` is null, and so are the columns it
 * shares with its original (`text`, usage, `currency`, `price_id`,
 * `provider_response_id`, `stop_reason`), read from the original through
 * the `receipts` view. A hit written before bundle format 2 (converted by
 * migration 0007) keeps its own request (`request_sha256` set) and is
 * sealed over its full content; a hit written since has no request of its
 * own (`request_sha256` null: the original's, which its cache key names)
 * and is sealed over its reference form (`sealedContent` in
 * lib/schema/receipt.ts). `text` is null when it is the response's text.
 */
export interface ModelIoTable {
  id: string;
  run_id: string | null;
  trace_id: string | null;
  purpose: string;
  provider: string;
  model: string;
  model_config_id: string | null;
  /** The request's canonical JSON is the `bodies` row with this sha256; null for a cache hit sealed as a reference (the original's request). */
  request_sha256: string | null;
  /** The request's large members stored as bodies of their own: canonical JSON of member name to sha256, or null (see lib/store/bodies.ts). */
  request_parts: string | null;
  /** The response's canonical JSON is the `bodies` row with this sha256; null when there is none. */
  response_sha256: string | null;
  text: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  cost: string | null;
  uncached_cost: string | null;
  currency: string | null;
  price_id: string | null;
  latency_ms: number;
  status: string;
  error: string | null;
  attempts: number;
  cache_key: string | null;
  cached_from: string | null;
  provider_response_id: string | null;
  stop_reason: string | null;
  sha256: string;
  created_at: string;
  /** 1 when the response says `connection_cold` (its latency may hold the connection's set-up), null otherwise; null for a hit sealed as a reference, which the `receipts` view gives its original's (migration 0008). */
  connection_cold: number | null;
}

/** The columns a cache hit shares with the receipt it reuses. */
export const REUSED_COLUMNS = [
  "response_sha256",
  "text",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "currency",
  "price_id",
  "provider_response_id",
  "stop_reason",
] as const;

/**
 * The `receipts` view: each `model_io` row with what a cache hit shares
 * with its original read from the original, so every receipt reads as a
 * whole. `text` is still null when it is the response's text.
 */
export interface ReceiptsView extends Omit<ModelIoTable, "request_sha256"> {
  /** The request's body (the original's for a hit sealed as a reference). */
  request_sha256: string;
  /** For a cache hit sealed as a reference: the original's sha256 (its own `sha256` covers this, not the bodies). */
  cached_sha256: string | null;
}

/**
 * A request or response body (canonical JSON), stored once however many
 * receipts carry it: keyed by the sha256 of its text (append-only).
 */
export interface BodiesTable {
  sha256: string;
  body: string;
}

/** One cell of a run: a case x a repetition, with its scores. */
export interface ResultsTable {
  id: string;
  run_id: string;
  case_key: string;
  repetition: number;
  slice: string;
  generation_io_id: string | null;
  judge_io_ids: string;
  output: string | null;
  status: string;
  checks: string;
  rubric: string | null;
  judge_error: string | null;
  created_at: string;
  scored_at: string;
}

/** A computed scorecard, addressed by the sha256 of its content. */
export interface ScorecardsTable {
  sha256: string;
  run_id: string;
  body: string;
  created_at: string;
}

/** A workflow snapshot: the DAG of steps a trace follows. */
export interface WorkflowsTable {
  trace_id: string;
  name: string;
  snapshot: string;
  sha256: string;
  created_at: string;
}

/** A hash-chained trace event (append-only). */
export interface TraceEventsTable {
  seq: Generated<number>;
  trace_id: string;
  index: number;
  type: string;
  step: string | null;
  at: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/** A content-addressed, versioned artifact (append-only). */
export interface ArtifactsTable {
  id: string;
  key: string;
  version: number;
  sha256: string;
  media_type: string;
  body: string;
  parent_id: string | null;
  step: string | null;
  trace_id: string | null;
  created_by: string | null;
  created_at: string;
}

/** A stored verdict (append-only). */
export interface ComparisonsTable {
  id: string;
  task: string;
  baseline_run_id: string;
  candidate_run_id: string;
  mode: string;
  limits: string;
  verdict: string;
  body: string;
  baseline_scorecard_sha256: string;
  candidate_scorecard_sha256: string;
  sha256: string;
  trace_id: string | null;
  created_at: string;
}

/** A gate request: a halt point over a subject identified by content hashes. */
export interface GatesTable {
  id: string;
  task: string | null;
  subject: string;
  subject_sha256: string;
  policy: string;
  requested_by: string;
  trace_id: string;
  created_at: string;
}

/** A decision on a gate, policy or human (append-only). */
export interface GateDecisionsTable {
  id: string;
  gate_id: string;
  kind: string;
  actor: string;
  decision: string;
  reason: string;
  subject_sha256: string;
  comparison_id: string | null;
  created_at: string;
}

/** Every move of an alias (append-only); the latest row is the current target. */
export interface AliasMovesTable {
  seq: Generated<number>;
  task: string;
  alias: string;
  prompt_version_id: string;
  gate_id: string;
  moved_by: string;
  created_at: string;
}

/** Human labels for judge calibration. */
export interface LabelsTable {
  id: string;
  task: string;
  case_key: string;
  /** The repetition labelled; `null` when the label holds for any repetition with this output. */
  repetition: number | null;
  output_sha256: string;
  labeller: string;
  scores: string;
  note: string | null;
  created_at: string;
}

/**
 * Which stored version of a task definition, dataset or model config the
 * catalog made current, and when (append-only; the latest row per kind and
 * key wins). Loading a file whose content was stored before moves the head
 * back to that version without rewriting anything.
 */
export interface CatalogHeadsTable {
  seq: Generated<number>;
  /** `task`, `dataset` or `model_config`. */
  kind: string;
  /** The task name (task, dataset) or the model config id. */
  key: string;
  /** The task id, dataset id or model config sha256. */
  ref: string;
  created_at: string;
}

/**
 * A run's cell as a work queue entry for workers: who holds it and until
 * when (epoch ms on the database's clock), and whether it is committed.
 */
export interface RunCellsTable {
  run_id: string;
  case_key: string;
  repetition: number;
  /** Planning order: cells are claimed in it. */
  position: number;
  /** The worker holding the lease, if any. */
  worker: string | null;
  /** When the lease expires, epoch ms; null when unclaimed. */
  lease_until: number | null;
  /** How many times the cell was claimed. */
  claims: Generated<number>;
  /** 1 once committed. */
  done: Generated<number>;
}

/** Per key (`rpm:<provider>`), the next free request slot, epoch ms. */
export interface RateLimitsTable {
  key: string;
  next_ms: number;
}

/** Per key (`tpm:<provider>`), the tokens a call holds and when, epoch ms. */
export interface RateUsageTable {
  id: string;
  key: string;
  at_ms: number;
  tokens: number;
}

/** The whole database, for Kysely. */
export interface Database {
  tasks: TasksTable;
  prompt_versions: PromptVersionsTable;
  datasets: DatasetsTable;
  test_cases: TestCasesTable;
  model_configs: ModelConfigsTable;
  prices: PricesTable;
  runs: RunsTable;
  model_io: ModelIoTable;
  /** A view (migration 0007): read receipts here, write them to `model_io`. */
  receipts: ReceiptsView;
  bodies: BodiesTable;
  results: ResultsTable;
  scorecards: ScorecardsTable;
  workflows: WorkflowsTable;
  trace_events: TraceEventsTable;
  artifacts: ArtifactsTable;
  comparisons: ComparisonsTable;
  gates: GatesTable;
  gate_decisions: GateDecisionsTable;
  alias_moves: AliasMovesTable;
  labels: LabelsTable;
  catalog_heads: CatalogHeadsTable;
  run_cells: RunCellsTable;
  rate_limits: RateLimitsTable;
  rate_usage: RateUsageTable;
}
