import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import type { Issue } from "../errors.ts";
import type { CheckConfigRegistry } from "./read_catalog.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);

/** The task of the valid fixture catalog. */
export const TASK = "ticket_triage";
/** Its dataset file, relative to the catalog root. */
export const DATASET = `datasets/${TASK}.jsonl`;
/** Its prompt directory, relative to the catalog root. */
export const PROMPTS = `prompts/${TASK}`;

/** A check registry with the configs the fixture uses (the real one lives in scoring/). */
export const TEST_CHECKS: CheckConfigRegistry = {
  "json_schema_valid": { config: z.strictObject({}) },
  "enum_member": {
    config: z.strictObject({
      field: z.string(),
      values: z.array(z.string()).min(1),
    }),
  },
  "exact_match": {
    config: z.strictObject({
      field: z.string(),
      "expected_field": z.string().optional(),
    }),
  },
};

/**
 * Copies the valid fixture catalog into a new temporary directory, then lays
 * `testdata/broken/<overlay>/` over it when given. The caller removes it.
 */
export async function makeCatalog(overlay?: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "wb_catalog_" });
  await cp(fileURLToPath(new URL("valid/", TESTDATA)), root, {
    recursive: true,
  });
  if (overlay) {
    await cp(fileURLToPath(new URL(`broken/${overlay}/`, TESTDATA)), root, {
      recursive: true,
    });
  }
  return root;
}

/** Asserts that `issues` holds one issue with exactly this file, line and field, whose message matches. */
export function assertIssue(
  issues: readonly Issue[],
  expected: { file: string; line?: number; field?: string; message: RegExp },
): void {
  const found = issues.find((issue) =>
    issue.file === expected.file && issue.line === expected.line &&
    issue.field === expected.field && expected.message.test(issue.message)
  );
  assert.ok(
    found,
    `no issue ${
      JSON.stringify({ ...expected, message: String(expected.message) })
    } in:\n${issues.map((i) => JSON.stringify(i)).join("\n")}`,
  );
}
