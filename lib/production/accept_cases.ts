/**
 * Adds production inputs to a task's suite as new cases, on a person's
 * command: a new dataset version, through the catalog.
 *
 * @module
 */
import { join } from "node:path";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { validateTaskInput } from "../catalog/validate_input.ts";
import { nowIso } from "../content/ids.ts";
import { type Issue, ValidationError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import { type Slice, SLICES } from "../schema/task.ts";
import { getLatestDataset, getTask } from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { listTaskCalls } from "../store/production.ts";
import { Tracer } from "../trace/tracer.ts";
import { SliceIndex } from "./slice_index.ts";

/** Options for {@linkcode acceptCases}. */
export interface AcceptCasesOptions {
  /** The task. */
  task: string;
  /** The production calls' receipt ids whose inputs become cases. */
  receipts: readonly string[];
  /** Who accepts them (recorded in each case's note and on the trace). */
  author: string;
  /** A slice per receipt id, where the person overrides the suggestion. */
  slices?: Readonly<Record<string, Slice>> | undefined;
  /** Expected values per receipt id. @default {{}: checks that need them do not apply until a person adds them} */
  expected?: Readonly<Record<string, Record<string, unknown>>> | undefined;
  /** The catalog directory (the repository root). @default {"."} */
  root?: string | undefined;
  /** The clock, for tests. @default {nowIso} */
  now?: (() => string) | undefined;
}

/** One accepted case and its source. */
export interface AcceptedCase {
  /** The new case's id: `prod-<receipt id>`. */
  readonly case_id: string;
  /** Its slice. */
  readonly slice: Slice;
  /** The slice the nearest suite cases suggested. */
  readonly suggested_slice: Slice;
  /** The source production call's receipt. */
  readonly receipt_id: string;
  /** That receipt's sha256. */
  readonly receipt_sha256: string;
}

/** What {@linkcode acceptCases} did. */
export interface AcceptCasesResult {
  /** The new dataset version. */
  readonly dataset_id: string;
  /** The version it follows. */
  readonly previous_dataset_id: string;
  /** The dataset file written. */
  readonly file: string;
  /** The cases added. */
  readonly added: readonly AcceptedCase[];
  /** The trace whose `cases_accepted` event links cases, receipts and author. */
  readonly trace_id: string;
}

/**
 * Appends production inputs to `datasets/<task>.jsonl` as new cases (each
 * with the suggested slice unless overridden, and a note naming its source
 * receipt and who accepted it) and loads the catalog, so the new dataset
 * version goes through every catalog check: input schema, unique ids and
 * the task's slice mix. If the catalog refuses it, the file is restored
 * and nothing is stored. A `cases_accepted` trace event links the new
 * dataset version, each case, its source receipt (id and sha256) and the
 * author.
 *
 * @param store The database.
 * @param options Task, receipts, author, slices, catalog root.
 * @returns The new dataset version and the cases added.
 * @throws {ValidationError} If the author or receipts are missing, a receipt is not a recorded call of the task, its input fails the input schema, it was accepted before, or the catalog refuses the new dataset (e.g. its slice mix).
 * @throws {NotFoundError} If the task has no dataset.
 *
 * @example No receipt, no case
 * ```ts
 * import { acceptCases, open, ValidationError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(
 *   acceptCases(store, { task: "support_triage", receipts: [], author: "priya" }),
 *   ValidationError,
 * );
 * ```
 */
export async function acceptCases(
  store: Store,
  options: AcceptCasesOptions,
): Promise<AcceptCasesResult> {
  const issues: Issue[] = [];
  if (options.author.trim() === "") {
    issues.push({
      field: "author",
      message: "name who accepts the cases (wb accept-cases --author NAME)",
    });
  }
  if (options.receipts.length === 0) {
    issues.push({
      field: "receipts",
      message:
        "give the receipt ids of the production calls to add (wb suggest-cases lists them)",
    });
  }
  for (const [id, slice] of Object.entries(options.slices ?? {})) {
    if (!(SLICES as readonly string[]).includes(slice)) {
      issues.push({
        field: `slices.${id}`,
        message: `"${slice}" is not a slice: use ${SLICES.join(", ")}`,
      });
    }
  }
  if (issues.length) throw new ValidationError(issues);
  const task = await getTask(store, options.task);
  const previous = await getLatestDataset(store, task.name);
  const index = new SliceIndex(previous.cases);
  const calls = new Map(
    (await listTaskCalls(store, {
      task: task.name,
      since: "0000-01-01T00:00:00.000Z",
    })).map((c) => [c.receipt.id, c]),
  );
  const existing = new Set(previous.cases.map((c) => c.id));
  const now = options.now ?? nowIso;
  const at = now();
  const cases: Case[] = [];
  const added: AcceptedCase[] = [];
  for (const receiptId of new Set(options.receipts)) {
    const call = calls.get(receiptId);
    const caseId = `prod-${receiptId}`;
    if (!call) {
      issues.push({
        field: "receipts",
        message:
          `"${receiptId}" is not a recorded production call of task "${task.name}": give an id wb suggest-cases listed`,
      });
      continue;
    }
    const problems = validateTaskInput(task, call.input);
    if (problems.length) {
      issues.push(...problems.map((p) => ({
        field: `receipts.${receiptId}.${p.field}`,
        message: p.message,
      })));
      continue;
    }
    if (existing.has(caseId)) {
      issues.push({
        field: "receipts",
        message:
          `the input of "${receiptId}" is already case "${caseId}" of the current dataset`,
      });
      continue;
    }
    const input = call.input as Record<string, unknown>;
    const suggested = index.suggest(input).slice;
    const slice = options.slices?.[receiptId] ?? suggested;
    cases.push({
      id: caseId,
      slice,
      input,
      expected: options.expected?.[receiptId] ?? {},
      note:
        `From production call ${receiptId} (receipt sha256 ${call.receipt.sha256}), accepted by ${options.author} on ${
          at.slice(0, 10)
        }; slice ${slice}${
          slice === suggested ? " as suggested" : ` (suggested ${suggested})`
        }.`,
    });
    added.push({
      case_id: caseId,
      slice,
      suggested_slice: suggested,
      receipt_id: receiptId,
      receipt_sha256: call.receipt.sha256,
    });
  }
  if (issues.length) throw new ValidationError(issues);

  const root = options.root ?? ".";
  const file = join(root, "datasets", `${task.name}.jsonl`);
  const original = await Deno.readTextFile(file);
  const lines = cases.map((c) => JSON.stringify(c)).join("\n");
  await Deno.writeTextFile(
    file,
    `${original}${
      original.endsWith("\n") || original === "" ? "" : "\n"
    }${lines}\n`,
  );
  let datasetId: string;
  try {
    const report = await loadCatalog(store, { root });
    const loaded = report.tasks.find((t) => t.task === task.name);
    datasetId = loaded?.dataset_id ?? previous.id;
  } catch (error) {
    // The catalog refused the new version: the file is as it was.
    await Deno.writeTextFile(file, original);
    throw error;
  }
  const tracer = await Tracer.start(store, {
    schema_version: 1,
    name: "accept cases",
    steps: [{
      id: "accept",
      description: "production inputs added to the suite by a person",
      uses: { dataset: datasetId, previous_dataset: previous.id },
    }],
    meta: { task: task.name, author: options.author },
  }, { now });
  await tracer.emit("cases_accepted", {
    step: "accept",
    data: {
      actor: options.author,
      dataset_id: datasetId,
      previous_dataset_id: previous.id,
      cases: added.map((a) => ({ ...a })),
    },
  });
  return {
    dataset_id: datasetId,
    previous_dataset_id: previous.id,
    file,
    added,
    trace_id: tracer.traceId,
  };
}
