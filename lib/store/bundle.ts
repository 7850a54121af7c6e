/**
 * The queries behind `lib/bundle/`: every read a bundle export makes (which
 * records a scope pulls in, then the records themselves in bundle order,
 * page by page) and every write an import makes (only missing rows, in one
 * transaction, with differing rows reported).
 *
 * Records are the stored rows with their JSON columns parsed; receipts are
 * in the {@linkcode Receipt} shape their sha256 was computed over.
 *
 * @module
 */
import { type Kysely, sql, type Transaction } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { NotFoundError } from "../errors.ts";
import { type Receipt, REFERENCE_FIELDS } from "../schema/receipt.ts";
import type { Store } from "./open.ts";
import { receiptRow, responseText } from "./runs.ts";
import { type BodyRefs, type BodyRow, withBodies } from "./bodies.ts";
import { APPEND_ONLY_TABLES } from "./migrations.ts";
import { deferForeignKeys, textContains } from "./_dialect.ts";
import type { Database } from "./tables.ts";

// deno-lint-ignore no-explicit-any
type AnyDb = Kysely<any> | Transaction<any>;
type Row = Record<string, unknown>;

/** A bundle section: the records of one table. */
export type BundleSection =
  | "alias_moves"
  | "artifacts"
  | "comparisons"
  | "datasets"
  | "gate_decisions"
  | "gates"
  | "model_configs"
  | "prices"
  | "prompt_versions"
  | "receipts"
  | "results"
  | "runs"
  | "scorecards"
  | "tasks"
  | "test_cases"
  | "trace_events"
  | "workflows";

/** The sections of a bundle, in canonical (sorted) order. */
export const BUNDLE_SECTIONS: readonly BundleSection[] = [
  "alias_moves",
  "artifacts",
  "comparisons",
  "datasets",
  "gate_decisions",
  "gates",
  "model_configs",
  "prices",
  "prompt_versions",
  "receipts",
  "results",
  "runs",
  "scorecards",
  "tasks",
  "test_cases",
  "trace_events",
  "workflows",
];

/** A bundle record: a stored row with its JSON columns parsed. */
export type BundleRecord = Record<string, unknown>;

interface TableSpec {
  readonly table: keyof Database;
  /** The columns a record carries, in no particular order. */
  readonly columns: readonly string[];
  /** Columns holding canonical JSON text. */
  readonly json: readonly string[];
  /** The columns that identify a row. */
  readonly keyColumns: readonly string[];
}

const SPECS: Record<Exclude<BundleSection, "receipts">, TableSpec> = {
  alias_moves: {
    table: "alias_moves",
    columns: [
      "task",
      "alias",
      "prompt_version_id",
      "gate_id",
      "moved_by",
      "created_at",
    ],
    json: [],
    keyColumns: [
      "task",
      "alias",
      "prompt_version_id",
      "gate_id",
      "moved_by",
      "created_at",
    ],
  },
  artifacts: {
    table: "artifacts",
    columns: [
      "id",
      "key",
      "version",
      "sha256",
      "media_type",
      "body",
      "parent_id",
      "step",
      "trace_id",
      "created_by",
      "created_at",
    ],
    json: [],
    keyColumns: ["id"],
  },
  comparisons: {
    table: "comparisons",
    columns: [
      "id",
      "task",
      "baseline_run_id",
      "candidate_run_id",
      "mode",
      "limits",
      "verdict",
      "body",
      "baseline_scorecard_sha256",
      "candidate_scorecard_sha256",
      "sha256",
      "trace_id",
      "created_at",
    ],
    json: ["limits", "body"],
    keyColumns: ["id"],
  },
  datasets: {
    table: "datasets",
    columns: ["id", "task", "case_count", "slice_counts", "created_at"],
    json: ["slice_counts"],
    keyColumns: ["id"],
  },
  gate_decisions: {
    table: "gate_decisions",
    columns: [
      "id",
      "gate_id",
      "kind",
      "actor",
      "decision",
      "reason",
      "subject_sha256",
      "comparison_id",
      "created_at",
    ],
    json: [],
    keyColumns: ["id"],
  },
  gates: {
    table: "gates",
    columns: [
      "id",
      "task",
      "subject",
      "subject_sha256",
      "policy",
      "requested_by",
      "trace_id",
      "created_at",
    ],
    json: ["subject", "policy"],
    keyColumns: ["id"],
  },
  model_configs: {
    table: "model_configs",
    columns: ["id", "sha256", "provider", "model", "config", "created_at"],
    json: ["config"],
    keyColumns: ["id", "sha256"],
  },
  prices: {
    table: "prices",
    columns: [
      "id",
      "provider",
      "model",
      "currency",
      "input_per_mtok",
      "output_per_mtok",
      "cache_read_per_mtok",
      "cache_write_per_mtok",
      "valid_from",
      "source",
    ],
    json: [],
    keyColumns: ["id"],
  },
  prompt_versions: {
    table: "prompt_versions",
    columns: [
      "id",
      "task",
      "version",
      "system",
      "template",
      "params",
      "sha256",
      "author",
      "note",
      "created_at",
    ],
    json: ["params"],
    keyColumns: ["id"],
  },
  results: {
    table: "results",
    columns: [
      "id",
      "run_id",
      "case_key",
      "repetition",
      "slice",
      "generation_io_id",
      "judge_io_ids",
      "output",
      "status",
      "checks",
      "rubric",
      "judge_error",
      "created_at",
      "scored_at",
    ],
    json: ["judge_io_ids", "checks", "rubric"],
    keyColumns: ["id"],
  },
  runs: {
    table: "runs",
    columns: [
      "id",
      "experiment_id",
      "task",
      "task_id",
      "prompt_version_id",
      "model_config_id",
      "model_config_sha256",
      "judge_config_id",
      "dataset_id",
      "repetitions",
      "status",
      "flags",
      "workflow",
      "trace_id",
      "created_at",
      "finished_at",
    ],
    json: ["flags", "workflow"],
    keyColumns: ["id"],
  },
  scorecards: {
    table: "scorecards",
    columns: ["sha256", "run_id", "body", "created_at"],
    json: ["body"],
    keyColumns: ["sha256"],
  },
  tasks: {
    table: "tasks",
    columns: ["id", "name", "definition", "created_at"],
    json: ["definition"],
    keyColumns: ["id"],
  },
  test_cases: {
    table: "test_cases",
    columns: [
      "dataset_id",
      "case_key",
      "position",
      "slice",
      "input",
      "expected",
      "note",
    ],
    json: ["input", "expected"],
    keyColumns: ["dataset_id", "case_key"],
  },
  trace_events: {
    table: "trace_events",
    columns: [
      "trace_id",
      "index",
      "type",
      "step",
      "at",
      "data",
      "prev_hash",
      "hash",
    ],
    json: ["data"],
    keyColumns: ["trace_id", "index"],
  },
  workflows: {
    table: "workflows",
    columns: ["trace_id", "name", "snapshot", "sha256", "created_at"],
    json: ["snapshot"],
    keyColumns: ["trace_id"],
  },
};

const RECEIPT_COLUMNS = [
  "id",
  "run_id",
  "trace_id",
  "purpose",
  "provider",
  "model",
  "model_config_id",
  "request_sha256",
  "request_parts",
  "response_sha256",
  "text",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "cost",
  "uncached_cost",
  "currency",
  "price_id",
  "latency_ms",
  "status",
  "error",
  "attempts",
  "cache_key",
  "cached_from",
  "provider_response_id",
  "stop_reason",
  "sha256",
  "created_at",
  "cached_sha256",
] as const;

const APPEND_ONLY: ReadonlySet<string> = new Set(APPEND_ONLY_TABLES);

/**
 * The identity of a record within its section, as the bundle's table of
 * contents names it: the row's id, or its key columns joined by `/`
 * (`model_configs` use `id@sha256`).
 */
export function recordKey(
  section: BundleSection,
  record: BundleRecord,
): string {
  const s = (name: string) => String(record[name]);
  switch (section) {
    case "alias_moves":
      return `${s("task")}/${s("alias")}/${s("created_at")}/${s("gate_id")}`;
    case "model_configs":
      return `${s("id")}@${s("sha256")}`;
    case "scorecards":
      return s("sha256");
    case "test_cases":
      return `${s("dataset_id")}/${s("case_key")}`;
    case "trace_events":
      return `${s("trace_id")}/${s("index")}`;
    case "workflows":
      return s("trace_id");
    default:
      return s("id");
  }
}

/** Whether a section's table refuses UPDATE and DELETE. */
export function isAppendOnly(section: BundleSection): boolean {
  return APPEND_ONLY.has(section === "receipts" ? "model_io" : section);
}

function toRecord(section: BundleSection, row: Row): BundleRecord {
  if (section === "receipts") return receiptRecord(row);
  const spec = SPECS[section];
  const record: BundleRecord = {};
  for (const column of spec.columns) {
    const value = row[column];
    record[column] = spec.json.includes(column) && typeof value === "string"
      ? JSON.parse(value)
      : value ?? null;
  }
  return record;
}

function receiptRecord(row: Row): BundleRecord {
  if (typeof row.cached_sha256 === "string") {
    // A cache hit sealed as a reference is carried as one (format 2).
    const own: BundleRecord = {};
    for (const field of REFERENCE_FIELDS) {
      own[field] = field === "error" && typeof row.error === "string"
        ? JSON.parse(row.error)
        : row[field] ?? null;
    }
    return { ...own, sha256: row.sha256 };
  }
  const n = (name: string) => (row[name] ?? null) as number | null;
  const usage = [
      "input_tokens",
      "output_tokens",
      "cache_read_tokens",
      "cache_write_tokens",
    ].every((name) => row[name] === null || row[name] === undefined)
    ? null
    : {
      input_tokens: n("input_tokens"),
      output_tokens: n("output_tokens"),
      cache_read_tokens: n("cache_read_tokens"),
      cache_write_tokens: n("cache_write_tokens"),
    };
  const parse = (name: string) =>
    typeof row[name] === "string" ? JSON.parse(row[name] as string) : null;
  const v = (name: string) => row[name] ?? null;
  const response = parse("response");
  return {
    id: v("id"),
    run_id: v("run_id"),
    trace_id: v("trace_id"),
    purpose: v("purpose"),
    provider: v("provider"),
    model: v("model"),
    model_config_id: v("model_config_id"),
    request: parse("request"),
    response,
    // Stored null when it is the response's text.
    text: v("text") ?? responseText(response),
    usage,
    cost: v("cost"),
    uncached_cost: v("uncached_cost"),
    currency: v("currency"),
    price_id: v("price_id"),
    latency_ms: v("latency_ms"),
    status: v("status"),
    error: parse("error"),
    attempts: v("attempts"),
    cache_key: v("cache_key"),
    cached_from: v("cached_from"),
    provider_response_id: v("provider_response_id"),
    stop_reason: v("stop_reason"),
    sha256: v("sha256"),
    created_at: v("created_at"),
  };
}

/**
 * A section's rows with what the record holds and the table does not put
 * back: a receipt's request and response bodies, read from `bodies`.
 */
async function expanded(
  db: AnyDb,
  section: BundleSection,
  rows: Row[],
): Promise<Row[]> {
  if (section !== "receipts") return rows;
  // A cache hit carried as a reference carries no bodies.
  const whole = rows.filter((r) => typeof r.cached_sha256 !== "string");
  if (whole.length === rows.length) {
    return await withBodies(
      db as Kysely<Database>,
      rows as unknown as (Row & BodyRefs)[],
    ) as unknown as Row[];
  }
  const read = await withBodies(
    db as Kysely<Database>,
    whole as unknown as (Row & BodyRefs)[],
  ) as unknown as Row[];
  const byId = new Map(read.map((r) => [r.id, r]));
  return rows.map((r) => byId.get(r.id) ?? r);
}

function toRow(
  section: BundleSection,
  record: BundleRecord,
  bodies: BodyRow[],
): Row {
  if (section === "receipts") {
    const rows = receiptRow(record as unknown as Receipt);
    bodies.push(...rows.bodies);
    return rows.receipt as unknown as Row;
  }
  const spec = SPECS[section];
  const row: Row = {};
  for (const column of spec.columns) {
    const value = record[column];
    row[column] = spec.json.includes(column) && value !== null &&
        value !== undefined
      ? canonicalize(value)
      : value ?? null;
  }
  return row;
}

// ---------------------------------------------------------------------------
// Export: which records a scope pulls in

/** What a bundle holds: runs, one comparison, traces (ids or unique prefixes). */
export interface BundleScopeInput {
  /** Run ids. */
  readonly runs?: readonly string[];
  /** A comparison id (pulls in both runs, its gates and decisions). */
  readonly comparison?: string;
  /** Trace ids (a user pipeline's trace, or any run's or gate's trace). */
  readonly traces?: readonly string[];
}

/** The resolved scope and the keys of every record each section will hold. */
export interface BundlePlan {
  /** The scope as resolved to full ids. */
  readonly scope: {
    readonly runs: string[];
    readonly comparison: string | null;
    readonly traces: string[];
  };
  /** Per section, the single-column keys to export (sorted), or row selectors. */
  readonly keys: {
    readonly [S in BundleSection]: string[];
  };
  /** Model config rows to export, as `[id, sha256 | null]` (null: every row of the id). */
  readonly modelConfigs: readonly (readonly [string, string | null])[];
  /** Gates whose alias moves are exported. */
  readonly aliasGates: readonly string[];
}

const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

/** UTF-16 code unit order, as RFC 8785 sorts keys. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function resolveId(
  db: AnyDb,
  table: "runs" | "comparisons" | "workflows",
  column: "id" | "trace_id",
  kind: string,
  id: string,
): Promise<string> {
  const exact = await db.selectFrom(table).select(column).where(column, "=", id)
    .executeTakeFirst();
  if (exact) return exact[column] as string;
  if (id.length >= 8) {
    const rows = await db.selectFrom(table).select(column)
      .where(sql`substr(${sql.ref(column)}, 1, ${id.length})`, "=", id)
      .limit(2).execute();
    if (rows.length === 1) return rows[0]![column] as string;
  }
  throw new NotFoundError(kind, id);
}

async function selectIn(
  db: AnyDb,
  table: string,
  columns: readonly string[],
  where: string,
  values: Iterable<string>,
): Promise<Row[]> {
  const out: Row[] = [];
  for (const part of chunks([...new Set(values)])) {
    if (part.length === 0) continue;
    const rows = await db.selectFrom(table).select(columns as string[])
      .where(where, "in", part).execute();
    out.push(...rows);
  }
  return out;
}

/**
 * Works out every record a scope pulls in: a run brings its task, prompt
 * version, dataset and cases, model configs, results, scorecards, receipts
 * (and the receipts its cache hits reused), the prices those receipts used,
 * and its trace; a comparison brings both runs, its gates, their decisions
 * and alias moves; a trace brings its workflow, events, receipts and
 * artifacts.
 *
 * @throws {NotFoundError} If a run, comparison or trace does not exist.
 */
export async function planBundle(
  store: Store,
  input: BundleScopeInput,
): Promise<BundlePlan> {
  const db = store.db as AnyDb;
  const requestedRuns: string[] = [];
  for (const id of input.runs ?? []) {
    requestedRuns.push(await resolveId(db, "runs", "id", "run", id));
  }
  const runs = new Set<string>(requestedRuns);
  const comparisons = new Set<string>();
  let comparison: string | null = null;
  if (input.comparison !== undefined) {
    comparison = await resolveId(
      db,
      "comparisons",
      "id",
      "comparison",
      input.comparison,
    );
    comparisons.add(comparison);
  }
  const requestedTraces: string[] = [];
  for (const id of input.traces ?? []) {
    requestedTraces.push(
      await resolveId(db, "workflows", "trace_id", "trace", id),
    );
  }
  const traces = new Set<string>(requestedTraces);

  // Comparisons bring both of their runs.
  const comparisonRows = await selectIn(
    db,
    "comparisons",
    [
      "id",
      "baseline_run_id",
      "candidate_run_id",
      "baseline_scorecard_sha256",
      "candidate_scorecard_sha256",
      "trace_id",
    ],
    "id",
    comparisons,
  );
  for (const row of comparisonRows) {
    runs.add(row.baseline_run_id as string);
    runs.add(row.candidate_run_id as string);
  }
  // Comparisons between two runs named for the bundle come along; a bundle
  // of one comparison holds that verdict only (and only its gates).
  if (runs.size > 0 && (input.runs?.length ?? 0) > 0) {
    const between = await selectIn(
      db,
      "comparisons",
      [
        "id",
        "baseline_run_id",
        "candidate_run_id",
        "baseline_scorecard_sha256",
        "candidate_scorecard_sha256",
        "trace_id",
      ],
      "baseline_run_id",
      runs,
    );
    for (const row of between) {
      if (
        runs.has(row.candidate_run_id as string) &&
        !comparisons.has(row.id as string)
      ) {
        comparisons.add(row.id as string);
        comparisonRows.push(row);
      }
    }
  }
  // Traces named directly bring the comparisons recorded on them.
  for (
    const row of await selectIn(db, "comparisons", ["id"], "trace_id", traces)
  ) {
    if (!comparisons.has(row.id as string)) {
      comparisons.add(row.id as string);
    }
  }
  const scorecards = new Set<string>();
  for (const row of comparisonRows) {
    scorecards.add(row.baseline_scorecard_sha256 as string);
    scorecards.add(row.candidate_scorecard_sha256 as string);
    if (row.trace_id) traces.add(row.trace_id as string);
  }

  // Gates: decided on a comparison of the bundle, asking about it, or traced.
  const gates = new Set<string>();
  for (
    const row of await selectIn(
      db,
      "gate_decisions",
      ["gate_id"],
      "comparison_id",
      comparisons,
    )
  ) gates.add(row.gate_id as string);
  for (const id of comparisons) {
    const rows = await db.selectFrom("gates").select("id")
      .where(textContains(store.dialect, "subject", JSON.stringify(id)))
      .execute();
    for (const row of rows) gates.add(row.id as string);
  }
  for (const row of await selectIn(db, "gates", ["id"], "trace_id", traces)) {
    gates.add(row.id as string);
  }
  const gateRows = await selectIn(
    db,
    "gates",
    ["id", "trace_id"],
    "id",
    gates,
  );
  for (const row of gateRows) traces.add(row.trace_id as string);
  const decisionRows = await selectIn(
    db,
    "gate_decisions",
    ["id"],
    "gate_id",
    gates,
  );
  const moveRows = await selectIn(
    db,
    "alias_moves",
    ["prompt_version_id"],
    "gate_id",
    gates,
  );

  // Runs bring their catalog rows, results, scorecards and trace.
  const runRows = await selectIn(
    db,
    "runs",
    [
      "id",
      "task_id",
      "prompt_version_id",
      "model_config_id",
      "model_config_sha256",
      "judge_config_id",
      "dataset_id",
      "trace_id",
    ],
    "id",
    runs,
  );
  const tasks = new Set<string>();
  const promptVersions = new Set<string>();
  const datasets = new Set<string>();
  const modelConfigs = new Map<string, string | null>();
  const exactConfigs = new Set<string>();
  for (const row of runRows) {
    tasks.add(row.task_id as string);
    promptVersions.add(row.prompt_version_id as string);
    datasets.add(row.dataset_id as string);
    traces.add(row.trace_id as string);
    exactConfigs.add(`${row.model_config_id}@${row.model_config_sha256}`);
    if (row.judge_config_id) {
      modelConfigs.set(row.judge_config_id as string, null);
    }
  }
  for (const row of moveRows) {
    promptVersions.add(row.prompt_version_id as string);
  }
  const results = await selectIn(
    db,
    "results",
    ["id", "generation_io_id", "judge_io_ids"],
    "run_id",
    runs,
  );
  for (
    const row of await selectIn(db, "scorecards", ["sha256"], "run_id", runs)
  ) scorecards.add(row.sha256 as string);

  // Receipts: of the runs, of the traces, referenced by results, and reused.
  const receipts = new Set<string>();
  const prices = new Set<string>();
  const noteReceipt = (row: Row) => {
    receipts.add(row.id as string);
    if (row.price_id) prices.add(row.price_id as string);
    if (
      row.model_config_id && !modelConfigs.has(row.model_config_id as string)
    ) {
      const exact = [...exactConfigs].some((key) =>
        key.startsWith(`${row.model_config_id}@`)
      );
      if (!exact) modelConfigs.set(row.model_config_id as string, null);
    }
  };
  const receiptColumns = ["id", "cached_from", "price_id", "model_config_id"];
  const reused = new Set<string>();
  for (
    const row of [
      ...await selectIn(db, "receipts", receiptColumns, "run_id", runs),
      ...await selectIn(db, "receipts", receiptColumns, "trace_id", traces),
    ]
  ) {
    noteReceipt(row);
    if (row.cached_from) reused.add(row.cached_from as string);
  }
  const referenced = new Set<string>();
  for (const row of results) {
    if (row.generation_io_id) referenced.add(row.generation_io_id as string);
    for (const id of JSON.parse(row.judge_io_ids as string) as string[]) {
      referenced.add(id);
    }
  }
  for (const id of reused) referenced.add(id);
  const missing = [...referenced].filter((id) => !receipts.has(id));
  for (
    const row of await selectIn(db, "receipts", receiptColumns, "id", missing)
  ) {
    noteReceipt(row);
    if (row.cached_from && !receipts.has(row.cached_from as string)) {
      for (
        const original of await selectIn(db, "receipts", receiptColumns, "id", [
          row.cached_from as string,
        ])
      ) noteReceipt(original);
    }
  }

  const artifacts = await selectIn(db, "artifacts", ["id"], "trace_id", traces);
  const existingTraces = await selectIn(
    db,
    "workflows",
    ["trace_id"],
    "trace_id",
    traces,
  );
  const sorted = (values: Iterable<string>) => [...values].sort(compareKeys);
  const configPairs: [string, string | null][] = [
    ...[...exactConfigs].map((key): [string, string] => {
      const at = key.lastIndexOf("@");
      return [key.slice(0, at), key.slice(at + 1)];
    }),
    ...[...modelConfigs].map(([id]): [string, null] => [id, null]),
  ];
  return {
    scope: {
      runs: sorted(new Set(requestedRuns)),
      comparison,
      traces: sorted(new Set(requestedTraces)),
    },
    keys: {
      alias_moves: [],
      artifacts: sorted(artifacts.map((r) => r.id as string)),
      comparisons: sorted(comparisons),
      datasets: sorted(datasets),
      gate_decisions: sorted(decisionRows.map((r) => r.id as string)),
      gates: sorted(gates),
      model_configs: [],
      prices: sorted(prices),
      prompt_versions: sorted(promptVersions),
      receipts: sorted(receipts),
      results: sorted(results.map((r) => r.id as string)),
      runs: sorted(runs),
      scorecards: sorted(scorecards),
      tasks: sorted(tasks),
      test_cases: sorted(datasets),
      trace_events: sorted(traces),
      workflows: sorted(existingTraces.map((r) => r.trace_id as string)),
    },
    modelConfigs: configPairs,
    aliasGates: sorted(gates),
  };
}

/**
 * Reads one section's records in bundle order, a page at a time: by key for
 * most sections, by position within each dataset for test cases, by index
 * within each trace for events.
 */
export async function* readBundleRecords(
  store: Store,
  section: BundleSection,
  plan: BundlePlan,
): AsyncGenerator<BundleRecord> {
  const db = store.db as AnyDb;
  const keys = plan.keys[section];
  switch (section) {
    case "test_cases":
      for (const datasetId of keys) {
        let after = -1;
        for (;;) {
          const rows = await db.selectFrom("test_cases").selectAll()
            .where("dataset_id", "=", datasetId).where("position", ">", after)
            .orderBy("position").limit(CHUNK).execute();
          for (const row of rows) yield toRecord(section, row);
          if (rows.length < CHUNK) break;
          after = rows[rows.length - 1]!.position as number;
        }
      }
      return;
    case "trace_events":
      for (const traceId of keys) {
        let after = -1;
        for (;;) {
          const rows = await db.selectFrom("trace_events").selectAll()
            .where("trace_id", "=", traceId).where("index", ">", after)
            .orderBy("index").limit(CHUNK).execute();
          for (const row of rows) yield toRecord(section, row);
          if (rows.length < CHUNK) break;
          after = rows[rows.length - 1]!.index as number;
        }
      }
      return;
    case "model_configs": {
      const ids = [...new Set(plan.modelConfigs.map(([id]) => id))];
      const rows = await selectIn(
        db,
        "model_configs",
        SPECS.model_configs.columns,
        "id",
        ids,
      );
      const wanted = rows.filter((row) =>
        plan.modelConfigs.some(([id, sha]) =>
          id === row.id && (sha === null || sha === row.sha256)
        )
      ).map((row) => toRecord(section, row));
      wanted.sort((a, b) =>
        compareKeys(recordKey(section, a), recordKey(section, b))
      );
      yield* wanted;
      return;
    }
    case "alias_moves": {
      const rows = await selectIn(
        db,
        "alias_moves",
        SPECS.alias_moves.columns,
        "gate_id",
        plan.aliasGates,
      );
      const records = rows.map((row) => toRecord(section, row));
      records.sort((a, b) =>
        compareKeys(recordKey(section, a), recordKey(section, b))
      );
      yield* records;
      return;
    }
    default: {
      const table = section === "receipts" ? "receipts" : SPECS[section].table;
      const keyColumn = section === "receipts"
        ? "id"
        : SPECS[section].keyColumns[0]!;
      const columns = section === "receipts"
        ? RECEIPT_COLUMNS
        : SPECS[section].columns;
      for (const part of chunks(keys)) {
        const rows = await expanded(
          db,
          section,
          await db.selectFrom(table).select(columns as string[])
            .where(keyColumn, "in", part).execute(),
        );
        const byKey = new Map(
          rows.map((row) => [row[keyColumn] as string, row]),
        );
        for (const key of part) {
          const row = byKey.get(key);
          if (row) yield toRecord(section, row);
        }
      }
    }
  }
}

const TIME_COLUMNS = ["created_at", "finished_at", "scored_at", "at"];

/**
 * The newest timestamp among the records a plan exports (each record's
 * `created_at`, a run's `finished_at`, a result's `scored_at`, an event's
 * `at`; price rows' `valid_from` is not evidence time and is left out), or
 * null when no record carries one. A bundle's `created_at` is this value, so
 * the payload hash depends only on the evidence: the same records bundled
 * twice give the same sha256.
 */
export async function latestEvidenceTime(
  store: Store,
  plan: BundlePlan,
): Promise<string | null> {
  const db = store.db as AnyDb;
  let latest: string | null = null;
  const see = (value: unknown) => {
    if (typeof value === "string" && (latest === null || value > latest)) {
      latest = value;
    }
  };
  const maxOf = async (
    table: string,
    column: string,
    where: string,
    values: readonly string[],
  ) => {
    for (const part of chunks([...new Set(values)])) {
      if (part.length === 0) continue;
      const row = await db.selectFrom(table)
        // deno-lint-ignore no-explicit-any
        .select((eb: any) => eb.fn.max(column).as("m"))
        .where(where, "in", part).executeTakeFirst();
      see((row as { m?: unknown } | undefined)?.m);
    }
  };
  for (const section of BUNDLE_SECTIONS) {
    switch (section) {
      case "prices":
      case "test_cases":
        break;
      case "trace_events":
        await maxOf("trace_events", "at", "trace_id", plan.keys.trace_events);
        break;
      case "alias_moves":
        await maxOf("alias_moves", "created_at", "gate_id", plan.aliasGates);
        break;
      case "model_configs": {
        const rows = await selectIn(
          db,
          "model_configs",
          ["id", "sha256", "created_at"],
          "id",
          plan.modelConfigs.map(([id]) => id),
        );
        for (const row of rows) {
          if (
            plan.modelConfigs.some(([id, sha]) =>
              id === row.id && (sha === null || sha === row.sha256)
            )
          ) see(row.created_at);
        }
        break;
      }
      case "receipts":
        await maxOf("model_io", "created_at", "id", plan.keys.receipts);
        break;
      default: {
        const spec = SPECS[section];
        for (const column of spec.columns) {
          if (!TIME_COLUMNS.includes(column)) continue;
          await maxOf(
            spec.table,
            column,
            spec.keyColumns[0]!,
            plan.keys[section],
          );
        }
      }
    }
  }
  return latest;
}

// ---------------------------------------------------------------------------
// Import: only missing rows, in one transaction

/** What importing one batch of records did. */
export interface ImportBatchResult {
  /** Rows written. */
  inserted: number;
  /** Rows already present with the same content. */
  unchanged: number;
  /** Keys of rows already present with different content (left as they are). */
  differing: string[];
}

/** A transaction an import writes through. */
export interface ImportWriter {
  /** Writes the missing rows of a batch of one section's records. */
  write(
    section: BundleSection,
    records: readonly BundleRecord[],
  ): Promise<ImportBatchResult>;
}

/** Thrown inside {@linkcode withImportTransaction} to roll everything back. */
export class RollbackImport extends Error {
  /** Builds the signal. */
  constructor() {
    super("import rolled back");
    this.name = "RollbackImport";
  }
}

/**
 * Runs an import in one transaction with foreign keys checked at commit
 * (sections arrive in name order, children before parents). Alias moves are
 * written last, after the gates, decisions and trace events the promotion
 * guard reads (a trigger, which cannot be deferred). Throw
 * {@linkcode RollbackImport} (or anything) to write nothing.
 */
export async function withImportTransaction<T>(
  store: Store,
  fn: (writer: ImportWriter) => Promise<T>,
): Promise<T> {
  return await store.db.transaction().execute(async (trx) => {
    await deferForeignKeys(store.dialect).execute(trx);
    const moves: Row[] = [];
    const result = await fn({
      write: (section, records) =>
        writeBatch(
          trx,
          section,
          records,
          section === "alias_moves" ? (rows) => moves.push(...rows) : undefined,
        ),
    });
    for (const part of chunks(moves, 100)) {
      await (trx as AnyDb).insertInto("alias_moves").values(part).execute();
    }
    return result;
  });
}

async function existingRows(
  db: AnyDb,
  section: BundleSection,
  records: readonly BundleRecord[],
): Promise<Map<string, BundleRecord>> {
  // Receipts are read whole (a cache hit's shared columns from its
  // original) through the `receipts` view.
  const table = section === "receipts" ? "receipts" : SPECS[section].table;
  const keyColumns = section === "receipts"
    ? ["id"]
    : SPECS[section].keyColumns;
  let rows: Row[];
  if (keyColumns.length === 1) {
    const column = keyColumns[0]!;
    rows = await db.selectFrom(table).selectAll()
      .where(column, "in", records.map((r) => r[column] as string)).execute();
  } else {
    rows = await db.selectFrom(table).selectAll().where((eb) =>
      eb.or(records.map((record) =>
        eb.and(
          keyColumns.map((column) =>
            eb(column, "=", record[column] as string | number)
          ),
        )
      ))
    ).execute();
  }
  return new Map(
    (await expanded(db, section, rows)).map((row) => {
      const record = toRecord(section, row);
      return [recordKey(section, record), record];
    }),
  );
}

/**
 * Catalog records (prompt versions, model configs, prices, tasks, datasets
 * and their cases) are the same record when all but their load time agree:
 * a bundle made from a database that loaded the same catalog at another
 * time imports into this one.
 */
const LOADED_AT_ONLY: ReadonlySet<BundleSection> = new Set([
  "datasets",
  "model_configs",
  "prices",
  "prompt_versions",
  "tasks",
  "test_cases",
]);

function sameContent(
  section: BundleSection,
  stored: BundleRecord,
  imported: BundleRecord,
): boolean {
  if (!LOADED_AT_ONLY.has(section)) {
    return canonicalize(stored) === canonicalize(imported);
  }
  const { created_at: _a, ...a } = stored;
  const { created_at: _b, ...b } = imported;
  return canonicalize(a) === canonicalize(b);
}

/** Writes a batch's missing rows (or hands them to `later`, which writes them before commit). */
async function writeBatch(
  db: AnyDb,
  section: BundleSection,
  records: readonly BundleRecord[],
  later?: (rows: Row[]) => void,
): Promise<ImportBatchResult> {
  const result: ImportBatchResult = {
    inserted: 0,
    unchanged: 0,
    differing: [],
  };
  if (records.length === 0) return result;
  const table = section === "receipts" ? "model_io" : SPECS[section].table;
  for (const part of chunks(records, 100)) {
    const existing = await existingRows(db, section, part);
    const missing: Row[] = [];
    const bodies: BodyRow[] = [];
    const seen = new Set<string>();
    for (const record of part) {
      const key = recordKey(section, record);
      const found = existing.get(key);
      if (found) {
        if (sameContent(section, found, record)) result.unchanged++;
        else result.differing.push(key);
      } else if (!seen.has(key)) {
        seen.add(key);
        missing.push(toRow(section, record, bodies));
      }
    }
    if (bodies.length > 0) {
      // Content-addressed: a body already stored is the same body.
      await db.insertInto("bodies").values(bodies)
        .onConflict((oc) => oc.doNothing()).execute();
    }
    if (missing.length > 0) {
      if (later) later(missing);
      else await db.insertInto(table).values(missing).execute();
      result.inserted += missing.length;
    }
  }
  return result;
}
