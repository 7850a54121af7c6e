import type { Issue } from "../errors.ts";
import type { Slice } from "../schema/task.ts";
import { inspectCatalog } from "./_inspect.ts";
import type { ReadCatalogOptions } from "./read_catalog.ts";

/** Options for {@linkcode validateCatalog}: the same as for reading. */
export type ValidateCatalogOptions = ReadCatalogOptions;

/** How many cases one slice has, its share, and the share the task targets. */
export interface SliceShare {
  /** Cases in this slice. */
  readonly count: number;
  /** `count / total`, 0..1 (0 for an empty dataset). */
  readonly share: number;
  /** The task's `slice_mix` target for this slice, 0..1. */
  readonly target: number;
}

/** The slice distribution of one task's dataset. */
export interface SliceDistribution {
  /** The task name. */
  readonly task: string;
  /** Valid cases in the dataset. */
  readonly total: number;
  /** Each slice, in report order (typical, edge, known_failure, adversarial). */
  readonly slices: Readonly<Record<Slice, SliceShare>>;
}

/** What {@linkcode validateCatalog} found. */
export interface ValidateCatalogResult {
  /** True when there is no issue. */
  readonly ok: boolean;
  /** Every problem, sorted by file then line. */
  readonly issues: readonly Issue[];
  /**
   * Per task whose `task.yaml` and dataset could be read, the count and share
   * of each slice among its valid cases.
   */
  readonly distribution: readonly SliceDistribution[];
}

/**
 * Validates a catalog without writing anything and returns the result as a
 * value: every issue (the same checks as {@linkcode readCatalog}) and the
 * slice distribution of each task's dataset.
 *
 * @param root The catalog directory (the repository root).
 * @param options The check registry to validate checks against.
 * @returns `ok`, the issues and the slice distribution per task.
 *
 * @example Validate a catalog with a broken dataset
 * ```ts
 * import { validateCatalog } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/prompts/echo`, { recursive: true });
 * await Deno.mkdir(`${root}/datasets`);
 * const dimension = (name: string) =>
 *   `  - {name: ${name}, criteria: c, anchors: {good: g, average: a, bad: b}}`;
 * await Deno.writeTextFile(`${root}/prompts/echo/task.yaml`, [
 *   "schema_version: 1",
 *   "description: Repeat the text",
 *   "input_schema: {type: object}",
 *   "output_schema: {type: object}",
 *   "rubric:",
 *   "  dimensions:",
 *   ...["a", "b", "c", "d"].map(dimension),
 *   "slice_mix: {typical: 1, edge: 0, known_failure: 0, adversarial: 0}",
 * ].join("\n"));
 * await Deno.writeTextFile(
 *   `${root}/prompts/echo/v1.yaml`,
 *   "schema_version: 1\nsystem: Repeat.\ntemplate: '{{text}}'\nnote: first\n",
 * );
 * await Deno.writeTextFile(
 *   `${root}/datasets/echo.jsonl`,
 *   '{"id": "e-1", "slice": "typical", "input": {"text": "hi"}}\n' +
 *     '{"id": "e-2", "slice": "edgy", "input": {"text": "yo"}}\n',
 * );
 * await Deno.writeTextFile(
 *   `${root}/models.yaml`,
 *   "schema_version: 1\nmodels:\n  - {id: fake-fast, provider: fake, model: fast}\n",
 * );
 *
 * const result = await validateCatalog(root);
 * assert.equal(result.ok, false);
 * assert.equal(result.issues[0]?.file, "datasets/echo.jsonl");
 * assert.equal(result.issues[0]?.line, 2);
 * assert.equal(result.issues[0]?.field, "slice");
 * assert.equal(result.distribution[0]?.slices.typical.count, 1);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function validateCatalog(
  root: string,
  options: ValidateCatalogOptions = {},
): Promise<ValidateCatalogResult> {
  const { issues, distribution } = await inspectCatalog(root, options);
  return { ok: issues.length === 0, issues, distribution };
}
