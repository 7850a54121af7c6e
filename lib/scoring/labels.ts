/**
 * Human labels: reading `datasets/<task>.labels.jsonl` and storing labels.
 *
 * @module
 */
import * as z from "zod";
import { nowIso } from "../content/ids.ts";
import { contentHash } from "../content/sha256.ts";
import { FileSyntaxError, type Issue, ValidationError } from "../errors.ts";
import {
  type Label,
  type LabelLine,
  LabelLineSchema,
} from "../schema/label.ts";
import { insertLabels } from "../store/labels.ts";
import type { Store } from "../store/open.ts";

export type { Label, LabelLine };

/** Options for {@linkcode parseLabels}. */
export interface ParseLabelsOptions {
  /** The file name, for error messages. @default {"labels.jsonl"} */
  file?: string;
}

/**
 * Reads a labels file (JSON Lines, one {@linkcode LabelLine} per line; blank
 * lines are skipped) and validates every line, reporting every problem at
 * once.
 *
 * @param text The file's text.
 * @param options The file name for messages.
 * @returns The labels, in file order.
 * @throws {FileSyntaxError} If a line is not JSON.
 * @throws {ValidationError} If a line does not match the label format.
 *
 * @example One label line
 * ```ts
 * import { parseLabels } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const line = JSON.stringify({
 *   case_id: "rm-001", repetition: 0, output_sha256: "a".repeat(64),
 *   labeller: "sam", scores: { accuracy: 4 }, note: "score a little high",
 * });
 * const [label] = parseLabels(`${line}\n`);
 * assert.equal(label?.scores.accuracy, 4);
 * assert.throws(() => parseLabels(line.replace('"accuracy":4', '"accuracy":6')));
 * ```
 */
export function parseLabels(
  text: string,
  options: ParseLabelsOptions = {},
): LabelLine[] {
  const file = options.file ?? "labels.jsonl";
  const labels: LabelLine[] = [];
  const issues: Issue[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new FileSyntaxError(
        `cannot parse the label as JSON: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { file, line: i + 1 },
        { cause: error },
      );
    }
    const parsed = LabelLineSchema.safeParse(value);
    if (parsed.success) labels.push(parsed.data);
    else {
      for (const issue of parsed.error.issues) {
        issues.push({
          file,
          line: i + 1,
          field: issue.path.map(String).join("."),
          message: issue.message,
        });
      }
    }
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return labels;
}

/** What {@linkcode addLabels} returns. */
export interface AddLabelsResult {
  /** The labels as stored (ids are content hashes). */
  readonly labels: readonly Label[];
  /** How many were new (the rest were stored before). */
  readonly inserted: number;
}

/**
 * Stores labels of a task. A label's id is the hash of its task and content,
 * so adding the same label twice stores it once. Scores are checked against
 * the scale, not against a rubric: {@linkcode calibrate} reports dimensions
 * the rubric does not have.
 *
 * @param store The open store.
 * @param task The task name.
 * @param lines The labels.
 * @returns The stored labels and how many were new.
 * @throws {ValidationError} If a label does not match the label format.
 *
 * @example Store a label twice
 * ```ts
 * import { addLabels, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const label = { case_id: "st-001", output_sha256: "b".repeat(64), labeller: "sam", scores: { tone: 5 } };
 * assert.equal((await addLabels(store, "support_triage", [label])).inserted, 1);
 * assert.equal((await addLabels(store, "support_triage", [label])).inserted, 0);
 * ```
 */
export async function addLabels(
  store: Store,
  task: string,
  lines: readonly LabelLine[],
): Promise<AddLabelsResult> {
  const issues: Issue[] = [];
  const labels: Label[] = [];
  const createdAt = nowIso();
  lines.forEach((line, i) => {
    const parsed = LabelLineSchema.safeParse(line);
    if (!parsed.success) {
      issues.push({
        field: `labels[${i}]`,
        message: z.prettifyError(parsed.error).replace(/\s*\n\s*/g, " "),
      });
      return;
    }
    const data = parsed.data;
    labels.push({
      ...data,
      id: `lbl_${contentHash({ task, ...data }).slice(0, 24)}`,
      task,
      "created_at": createdAt,
    });
  });
  if (issues.length > 0) throw new ValidationError(issues);
  const inserted = await insertLabels(store, labels);
  return { labels, inserted };
}
