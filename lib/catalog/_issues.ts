import type * as z from "zod";
import type { Issue } from "../errors.ts";
import type { CheckConfigIssue } from "./read_catalog.ts";

/** A field path: object keys and array indexes. */
export type Path = readonly PropertyKey[];

/** Formats a path as `checks[2].config.field`. */
export function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Quotes a value for a message, shortened so a 1 MB string stays readable. */
export function quote(value: unknown, max = 60): string {
  const text = typeof value === "string"
    ? value
    : JSON.stringify(value) ?? "undefined";
  const short = text.length > max ? `${text.slice(0, max)}...` : text;
  return `'${short}'`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${quote(value)}`;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Where zod issues came from: the file, a path prefix and a line finder. */
export interface IssueSource {
  readonly file: string;
  /** Prepended to every issue's path (e.g. `checks[2].config`). */
  readonly prefix?: Path;
  /** The line of a full path (prefix included), when known. */
  lineOf(path: Path): number | undefined;
}

/**
 * Turns a zod error into issues that name the file, line and field and say
 * how to fix the value. `raw` is the value that was parsed.
 */
export function zodIssues(
  error: { readonly issues: readonly CheckConfigIssue[] },
  raw: unknown,
  source: IssueSource,
): Issue[] {
  const prefix = source.prefix ?? [];
  const issues: Issue[] = [];
  const add = (path: Path, message: string): void => {
    const full = [...prefix, ...path];
    const line = source.lineOf(full);
    const field = formatPath(full);
    issues.push({
      file: source.file,
      ...(line === undefined ? {} : { line }),
      ...(field ? { field } : {}),
      message,
    });
  };
  for (const item of error.issues) {
    // Every schema here is a zod schema, so its issues are zod issues.
    const issue = item as z.core.$ZodIssue;
    const value = valueAt(raw, issue.path);
    if (
      value === undefined && issue.path.length > 0 &&
      (issue.code === "invalid_type" || issue.code === "invalid_value" ||
        issue.code === "invalid_union")
    ) {
      add(
        issue.path,
        `missing required field: add it (${
          issue.code === "invalid_type"
            ? article(issue.expected)
            : issue.code === "invalid_value"
            ? `one of ${issue.values.map(String).join(", ")}`
            : "see the schema"
        })`,
      );
      continue;
    }
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          add(
            [...issue.path, key],
            "unknown field: remove it or check its spelling",
          );
        }
        break;
      case "invalid_type":
        add(
          issue.path,
          value === undefined
            ? `the file holds nothing: write ${article(issue.expected)}`
            : `must be ${article(issue.expected)}, not ${describe(value)}`,
        );
        break;
      case "invalid_value": {
        const allowed = issue.values.map((v) => String(v));
        const last = issue.path.at(-1);
        const isSlice = last === "slice" || issue.path.includes("slices");
        if (isSlice) {
          add(
            issue.path,
            `unknown slice ${quote(value)}: use one of ${allowed.join(", ")}`,
          );
        } else if (allowed.length === 1) {
          add(
            issue.path,
            `must be ${JSON.stringify(issue.values[0])}, found ${
              describe(value)
            }`,
          );
        } else {
          add(
            issue.path,
            `invalid value ${quote(value)}: use one of ${allowed.join(", ")}`,
          );
        }
        break;
      }
      case "invalid_union": {
        const reasons = [
          ...new Set(
            issue.errors.map((branch) => branch[0]?.message).filter(Boolean),
          ),
        ];
        add(
          issue.path,
          reasons.length
            ? `does not match any allowed form: ${reasons.join("; or ")}`
            : issue.message,
        );
        break;
      }
      default:
        add(issue.path, issue.message);
    }
  }
  return issues;
}

function article(expected: string): string {
  if (expected === "record" || expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
