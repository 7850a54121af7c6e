import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { getComparison, listComparisons } from "../store/comparisons.ts";
import type { Store } from "../store/open.ts";
import { COMPARE_MODES, type Comparison, VERDICTS } from "./verdict.ts";

/**
 * A stored comparison, checked against its content hash. Without an id,
 * the latest comparison (of `task`, when given).
 *
 * @param store The database.
 * @param id The comparison id (or a unique prefix of at least 8 characters); the latest when absent.
 * @param options `task` narrows "the latest" to one task.
 * @returns The comparison.
 * @throws {NotFoundError} If there is no such comparison.
 * @throws {ValidationError} If the stored body does not match its sha256 or is not a comparison body.
 *
 * @example No comparison yet
 * ```ts
 * import { loadComparison, NotFoundError, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * await assert.rejects(loadComparison(store), NotFoundError);
 * ```
 */
export async function loadComparison(
  store: Store,
  id?: string,
  options: { task?: string | undefined } = {},
): Promise<Comparison> {
  let key = id;
  if (key === undefined) {
    const [latest] = await listComparisons(store, { task: options.task });
    // Looking up a missing id reports NotFoundError with the usual hint.
    key = latest?.id ?? "(latest)";
  }
  const row = await getComparison(store, key);
  const body = row.body as Record<string, unknown> | null;
  if (contentHash(row.body) !== row.sha256) {
    throw new ValidationError([{
      field: "comparisons.body",
      message: `comparison '${row.id}' does not match its sha256 ${
        row.sha256.slice(0, 12)
      }: the stored verdict was altered`,
    }]);
  }
  if (
    !body || (body.schema_version !== 1 && body.schema_version !== 2) ||
    !VERDICTS.includes(body.verdict as never) ||
    !COMPARE_MODES.includes(body.mode as never) ||
    !Array.isArray(body.checks)
  ) {
    throw new ValidationError([{
      field: "comparisons.body",
      message:
        `comparison '${row.id}' is not a schema_version 1 or 2 comparison body`,
    }]);
  }
  return {
    ...(body as unknown as Omit<
      Comparison,
      "id" | "sha256" | "trace_id" | "created_at"
    >),
    id: row.id,
    sha256: row.sha256,
    trace_id: row.trace_id,
    created_at: row.created_at,
  };
}
