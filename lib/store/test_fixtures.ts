/**
 * Test helpers for `lib/compare/` and `lib/gate/`: synthetic prompt
 * versions, runs, cells and receipts written straight into a store, and
 * deliberate tampering (bypassing the append-only triggers) to test that
 * changed content is detected. Never used by the product itself.
 *
 * @module
 */
import { sql } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import type { Store } from "./open.ts";
import { bodyRow } from "./bodies.ts";

/** The request body the fixture's receipts carry. */
const EMPTY_REQUEST = bodyRow("{}");

const T0 = "2026-01-01T00:00:00.000Z";

/** Inserts a prompt version `<task>@v<version>`; returns its id. */
export async function insertTestPromptVersion(
  store: Store,
  task: string,
  version: number,
  template = `template ${version}`,
): Promise<string> {
  const id = `${task}@v${version}`;
  await store.db.insertInto("prompt_versions").values({
    id,
    task,
    version,
    system: "",
    template,
    params: "{}",
    sha256: contentHash({ system: "", template, params: {} }),
    author: "test",
    note: "test version",
    created_at: T0,
  }).execute();
  return id;
}

/** The four rubric dimensions of the test task. */
export const TEST_DIMENSIONS = [
  "accuracy",
  "completeness",
  "grounding",
  "clarity",
] as const;

/**
 * Stores a task definition with the four test dimensions and an
 * `injection_resisted` check; returns its id (the content hash).
 */
export async function insertTestTask(
  store: Store,
  name: string,
  limits?: Record<string, number>,
): Promise<string> {
  const definition = {
    schema_version: 1,
    description: "a test task",
    input_schema: { type: "object" },
    output_schema: { type: "object" },
    rubric: {
      dimensions: TEST_DIMENSIONS.map((d) => ({
        name: d,
        criteria: `is it ${d}`,
        anchors: { good: "good", average: "average", bad: "bad" },
      })),
    },
    checks: [{ name: "exact_match", config: { field: "x" } }, {
      name: "injection_resisted",
      config: {},
    }],
    ...(limits ? { limits } : {}),
  };
  const id = contentHash(definition);
  await store.db.insertInto("tasks").values({
    id,
    name,
    definition: canonicalize(definition),
    created_at: T0,
  }).execute();
  return id;
}

/** One synthetic cell of a test run. */
export interface TestCell {
  /** The case key. */
  case_key: string;
  /** The slice. */
  slice: string;
  /** The repetition (0-based). */
  repetition: number;
  /** `ok`, `provider_error` or `invalid_output`. @default {"ok"} */
  status?: string;
  /** Check id -> score 0..1 (pass when >= 0.5). @default {{}} */
  checks?: Record<string, number>;
  /** Rubric dimension -> 1..5, or null for no judge. @default {null} */
  rubric?: Record<string, number> | null;
  /** Generation cost, decimal string; null when unknown. @default {"0.001"} */
  cost?: string | null;
  /** Generation latency in milliseconds. @default {100} */
  latency_ms?: number;
  /** The model output. @default {"{}"} */
  output?: string | null;
  /** Adds an `injection_resisted` check that passed (true) or failed (false). */
  injection_resisted?: boolean;
}

/** A synthetic run for tests. */
export interface TestRun {
  /** The run id. */
  id: string;
  /** The task. */
  task: string;
  /** The prompt version id. */
  prompt_version_id: string;
  /** The dataset id. @default {"ds_test"} */
  dataset_id?: string;
  /** The task definition id. @default {"task_test"} */
  task_id?: string;
  /** Repetitions. @default {the largest repetition + 1} */
  repetitions?: number;
  /** The cells. */
  cells: readonly TestCell[];
}

/**
 * Writes a completed run with a result row and a generation receipt per
 * cell (checks and rubric scores as given).
 */
export async function insertTestRun(store: Store, run: TestRun): Promise<void> {
  const repetitions = run.repetitions ??
    Math.max(0, ...run.cells.map((c) => c.repetition)) + 1;
  await store.db.insertInto("runs").values({
    id: run.id,
    experiment_id: `exp_${run.id}`,
    task: run.task,
    task_id: run.task_id ?? "task_test",
    prompt_version_id: run.prompt_version_id,
    model_config_id: "fake-fast",
    model_config_sha256: "m".repeat(64),
    judge_config_id: "fake-judge",
    dataset_id: run.dataset_id ?? "ds_test",
    repetitions,
    status: "completed",
    flags: "[]",
    workflow: "{}",
    trace_id: `trace_${run.id}`,
    created_at: T0,
    finished_at: T0,
  }).execute();
  let n = 0;
  for (const cell of run.cells) {
    n++;
    const ioId = `io_${run.id}_${n}`;
    const status = cell.status ?? "ok";
    const cost = cell.cost === undefined ? "0.001" : cell.cost;
    await store.db.insertInto("bodies").values(EMPTY_REQUEST)
      .onConflict((oc) => oc.doNothing()).execute();
    await store.db.insertInto("model_io").values({
      id: ioId,
      run_id: run.id,
      trace_id: `trace_${run.id}`,
      purpose: "generate",
      provider: "fake",
      model: "fake-fast",
      model_config_id: "fake-fast",
      request_sha256: EMPTY_REQUEST.sha256,
      response_sha256: null,
      text: cell.output ?? "{}",
      input_tokens: 100,
      output_tokens: 50,
      cache_read_tokens: null,
      cache_write_tokens: null,
      cost,
      uncached_cost: cost,
      currency: "USD",
      price_id: null,
      latency_ms: cell.latency_ms ?? 100,
      status: status === "provider_error" ? "error" : "ok",
      error: null,
      attempts: 1,
      cache_key: null,
      cached_from: null,
      provider_response_id: null,
      stop_reason: "end",
      sha256: contentHash({ id: ioId }),
      created_at: T0,
    }).execute();
    const checks: Record<string, unknown> = Object.fromEntries(
      Object.entries(cell.checks ?? {}).map((
        [k, score],
      ) => [k, { pass: score >= 0.5, score, detail: "test" }]),
    );
    if (cell.injection_resisted !== undefined) {
      checks.injection_resisted = {
        pass: cell.injection_resisted,
        score: cell.injection_resisted ? 1 : 0,
        detail: cell.injection_resisted
          ? "injection resisted"
          : "injection succeeded",
      };
    }
    const rubric = cell.rubric
      ? Object.fromEntries(
        Object.entries(cell.rubric).map((
          [k, score],
        ) => [k, { score, reasoning: "test" }]),
      )
      : null;
    await store.db.insertInto("results").values({
      id: `res_${run.id}_${n}`,
      run_id: run.id,
      case_key: cell.case_key,
      repetition: cell.repetition,
      slice: cell.slice,
      generation_io_id: ioId,
      judge_io_ids: "[]",
      output: status === "provider_error" ? null : cell.output ?? "{}",
      status,
      checks: canonicalize(checks),
      rubric: rubric === null ? null : canonicalize(rubric),
      judge_error: null,
      created_at: T0,
      scored_at: T0,
    }).execute();
  }
}

/** Re-scores one cell in place, as a re-scoring pass would. */
export async function rescoreTestCell(
  store: Store,
  runId: string,
  caseKey: string,
  checks: Record<string, number>,
): Promise<void> {
  const scored = Object.fromEntries(
    Object.entries(checks).map((
      [k, score],
    ) => [k, { pass: score >= 0.5, score, detail: "rescored" }]),
  );
  await store.db.updateTable("results").set({ checks: canonicalize(scored) })
    .where("run_id", "=", runId).where("case_key", "=", caseKey).execute();
}

/**
 * Edits a prompt version in place behind the append-only triggers (drops
 * and recreates them), to simulate tampering.
 */
export async function tamperTestPromptVersion(
  store: Store,
  id: string,
  template: string,
): Promise<void> {
  const edit = () =>
    store.db.updateTable("prompt_versions").set({
      template,
      sha256: contentHash({ system: "", template, params: {} }),
    }).where("id", "=", id).execute();
  if (store.dialect === "postgres") {
    await sql`ALTER TABLE prompt_versions DISABLE TRIGGER prompt_versions_no_update`
      .execute(store.db);
    await edit();
    await sql`ALTER TABLE prompt_versions ENABLE TRIGGER prompt_versions_no_update`
      .execute(store.db);
    return;
  }
  await sql`DROP TRIGGER prompt_versions_no_update`.execute(store.db);
  await edit();
  await sql`CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions
     BEGIN SELECT RAISE(ABORT, 'prompt_versions is append-only: UPDATE is refused; record a new row instead'); END`
    .execute(store.db);
}

/** Cases per slice of the synthetic dataset. */
export const TEST_SLICES = {
  typical: 6,
  edge: 6,
  known_failure: 3,
  adversarial: 3,
} as const;

/** Where a cell sits: its case index within its slice, its slice and its repetition. */
export interface CellPlace {
  /** The case's index within its slice. */
  i: number;
  /** The slice. */
  slice: keyof typeof TEST_SLICES;
  /** The repetition. */
  rep: number;
}

/**
 * The cells of a synthetic run: every case of {@linkcode TEST_SLICES} x
 * `reps`, with checks `{exact_match: 1}` (plus a passed injection check on
 * adversarial cases), every dimension scored 4, cost 0.001 and latency 100,
 * changed by `change`.
 */
export function testCells(
  reps = 3,
  change: (place: CellPlace) => Partial<TestCell> = () => ({}),
): TestCell[] {
  const cells: TestCell[] = [];
  for (const [slice, count] of Object.entries(TEST_SLICES)) {
    for (let i = 0; i < count; i++) {
      for (let rep = 0; rep < reps; rep++) {
        const place = { i, slice: slice as CellPlace["slice"], rep };
        cells.push({
          case_key: `${slice}-${i}`,
          slice,
          repetition: rep,
          checks: { exact_match: 1 },
          rubric: Object.fromEntries(TEST_DIMENSIONS.map((d) => [d, 4])),
          cost: "0.001",
          latency_ms: 100,
          ...(slice === "adversarial" ? { injection_resisted: true } : {}),
          ...change(place),
        });
      }
    }
  }
  return cells;
}

/**
 * A store holding task `t` (optionally with limits), prompt versions 1 and
 * 2, and a baseline run `base` (v1) and candidate run `cand` (v2) with the
 * given cells.
 */
export async function storeWithRuns(
  store: Store,
  baseline: readonly TestCell[],
  candidate: readonly TestCell[],
  limits?: Record<string, number>,
): Promise<void> {
  const taskId = await insertTestTask(store, "t", limits);
  await insertTestPromptVersion(store, "t", 1);
  await insertTestPromptVersion(store, "t", 2);
  await insertTestRun(store, {
    id: "base",
    task: "t",
    task_id: taskId,
    prompt_version_id: "t@v1",
    cells: baseline,
  });
  await insertTestRun(store, {
    id: "cand",
    task: "t",
    task_id: taskId,
    prompt_version_id: "t@v2",
    cells: candidate,
  });
}
