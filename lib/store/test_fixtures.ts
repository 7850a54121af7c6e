/**
 * Test helpers for `lib/compare/` and `lib/gate/`: synthetic prompt
 * versions, runs, cells and receipts written straight into a store, and
 * deliberate tampering (bypassing the append-only triggers) to test that
 * changed content is detected. Never used by the product itself.
 *
 * @module
 */
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash } from "../content/sha256.ts";
import type { Store } from "./open.ts";

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
    await store.db.insertInto("model_io").values({
      id: ioId,
      run_id: run.id,
      trace_id: `trace_${run.id}`,
      purpose: "generate",
      provider: "fake",
      model: "fake-fast",
      model_config_id: "fake-fast",
      request: "{}",
      response: null,
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
    const checks = Object.fromEntries(
      Object.entries(cell.checks ?? {}).map((
        [k, score],
      ) => [k, { pass: score >= 0.5, score, detail: "test" }]),
    );
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
  await store.client.execute("DROP TRIGGER prompt_versions_no_update");
  await store.db.updateTable("prompt_versions").set({
    template,
    sha256: contentHash({ system: "", template, params: {} }),
  }).where("id", "=", id).execute();
  await store.client.execute(
    `CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions
     BEGIN SELECT RAISE(ABORT, 'prompt_versions is append-only: UPDATE is refused; record a new row instead'); END`,
  );
}
