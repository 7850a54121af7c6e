/**
 * The error classes callers catch. Each one names what is wrong and where,
 * and keeps its data in readonly fields.
 *
 * @module
 */

/** One problem found while validating input: where it is and how to fix it. */
export interface Issue {
  /** The file the problem is in, when it came from a file. */
  readonly file?: string;
  /** The 1-based line, for line-oriented files (JSONL) and YAML. */
  readonly line?: number;
  /** The field path, e.g. `input.resume_text` or `rubric.dimensions[2]`. */
  readonly field?: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Formats one issue as `file:line: field: message`. */
export function formatIssue(issue: Issue): string {
  const where = [
    issue.file && issue.line ? `${issue.file}:${issue.line}` : issue.file,
    issue.field,
  ].filter(Boolean).join(": ");
  return where ? `${where}: ${issue.message}` : issue.message;
}

/**
 * Input that does not satisfy its schema. Nothing was written when it is thrown.
 *
 * @example Catching a validation error
 * ```ts
 * import { ValidationError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new ValidationError([{ file: "a.jsonl", line: 3, field: "slice", message: "unknown slice 'edgy'" }]);
 * assert.equal(error.issues.length, 1);
 * assert.match(error.message, /a\.jsonl:3: slice: unknown slice/);
 * ```
 */
export class ValidationError extends Error {
  /** Every problem found, in file order. */
  readonly issues: readonly Issue[];

  /** Builds the error from its issues; the message lists them all. */
  constructor(issues: readonly Issue[], options?: ErrorOptions) {
    const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
    super(
      `${issues.length} problem${issues.length === 1 ? "" : "s"} found:\n${
        lines.join("\n")
      }`,
      options,
    );
    this.name = "ValidationError";
    this.issues = issues;
  }
}

/**
 * A JSON, JSONL or YAML file that cannot be parsed, with its location.
 *
 * @example Reading the location
 * ```ts
 * import { FileSyntaxError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new FileSyntaxError("bad JSON", { file: "d.jsonl", line: 4 });
 * assert.equal(error.line, 4);
 * assert.ok(error instanceof SyntaxError);
 * ```
 */
export class FileSyntaxError extends SyntaxError {
  /** The file that failed to parse. */
  readonly file: string;
  /** The 1-based line of the problem. */
  readonly line: number | undefined;

  /** Builds the error; the message is prefixed with `file:line`. */
  constructor(
    message: string,
    where: { file: string; line?: number },
    options?: ErrorOptions,
  ) {
    super(
      `${where.line ? `${where.file}:${where.line}` : where.file}: ${message}`,
      options,
    );
    this.name = "FileSyntaxError";
    this.file = where.file;
    this.line = where.line;
  }
}

/**
 * A record looked up by id or name that does not exist.
 *
 * @example Catching a missing run
 * ```ts
 * import { NotFoundError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new NotFoundError("run", "r_123");
 * assert.equal(error.kind, "run");
 * assert.match(error.message, /run 'r_123' not found/);
 * ```
 */
export class NotFoundError extends Error {
  /** What kind of record was looked up (run, task, prompt version, ...). */
  readonly kind: string;
  /** The id or name that was asked for. */
  readonly id: string;

  /** Builds the error; `hint` says how to find valid ids. */
  constructor(kind: string, id: string, hint?: string) {
    super(`${kind} '${id}' not found${hint ? `; ${hint}` : ""}`);
    this.name = "NotFoundError";
    this.kind = kind;
    this.id = id;
  }
}

/**
 * An operation refused because it would rewrite history or break a rule
 * (a prompt version edited in place, a gate resolved twice, an alias moved
 * without an approved gate).
 *
 * @example Catching a conflict
 * ```ts
 * import { ConflictError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new ConflictError("v3 already exists with different content; add v6 instead");
 * assert.equal(error.name, "ConflictError");
 * ```
 */
export class ConflictError extends Error {
  /** Builds the error with an actionable message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConflictError";
  }
}

/**
 * Configuration that is missing or wrong (an API key not set, an unknown
 * provider). Raised before any model call is made.
 *
 * @example Catching a missing key
 * ```ts
 * import { ConfigError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new ConfigError("ANTHROPIC_API_KEY is not set");
 * assert.ok(error instanceof Error);
 * ```
 */
export class ConfigError extends Error {
  /** Builds the error with an actionable message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/** Why a database could not be used. */
export type StorageFailure =
  | "read_only"
  | "disk_full"
  | "locked"
  | "cannot_open"
  | "io"
  | "unreachable";

/**
 * The database could not be read or written: a read-only file, a missing
 * permission, a full disk, a lock held past the busy timeout, a server that
 * cannot be reached. The transaction in progress was rolled back, so
 * nothing is half-written; a run interrupted by it is resumable. The
 * message names the database (never its credentials) and what to do.
 *
 * @example Catching a storage failure
 * ```ts
 * import { StorageError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new StorageError("disk_full", "file:wb.db", "free space, then resume the run");
 * assert.equal(error.failure, "disk_full");
 * assert.match(error.message, /^Cannot write to the database "file:wb.db": the disk is full/);
 * ```
 */
export class StorageError extends Error {
  /** What went wrong. */
  readonly failure: StorageFailure;
  /** The database's URL, without credentials. */
  readonly database: string;

  /**
   * Builds the error: the message says what failed on which database and
   * what to do.
   */
  constructor(
    failure: StorageFailure,
    database: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(
      `${STORAGE_FAILURES[failure].replace("%s", database)}; ${fix}`,
      options,
    );
    this.name = "StorageError";
    this.failure = failure;
    this.database = database;
  }
}

const STORAGE_FAILURES: Record<StorageFailure, string> = {
  read_only: 'Cannot write to the database "%s": it is read-only',
  disk_full: 'Cannot write to the database "%s": the disk is full',
  locked:
    'Cannot write to the database "%s": another process held its lock past the busy timeout',
  cannot_open:
    'Cannot open the database "%s": the file cannot be opened or created',
  io: 'Cannot use the database "%s": the disk reported an I/O error',
  unreachable: 'Cannot reach the database server "%s"',
};

/**
 * A pipeline step refused, or a wait given up, because of a gate step: the
 * gate is still pending (nobody has decided yet) or was rejected. Steps
 * declared after a gate do not start until it is approved. A pipeline that
 * stops on a pending gate can be resumed (`Tracer.resume`) once someone
 * decides (`wb gate approve GATE --actor NAME --reason TEXT`).
 *
 * @example Catching a halt
 * ```ts
 * import { GateHaltError } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const error = new GateHaltError("review", "gate_0001", "pending", "step 'send' waits on gate step 'review'");
 * assert.equal(error.status, "pending");
 * assert.match(error.message, /wb gate approve gate_0001/);
 * ```
 */
export class GateHaltError extends Error {
  /** The gate step. */
  readonly step: string;
  /** The gate id, or null when the gate was never requested. */
  readonly gateId: string | null;
  /** Where the gate stands. */
  readonly status: "pending" | "rejected" | "not_requested";

  /** Builds the error; the message says what halted and how to go on. */
  constructor(
    step: string,
    gateId: string | null,
    status: "pending" | "rejected" | "not_requested",
    what: string,
  ) {
    const how = status === "pending"
      ? `; decide it with \`wb gate approve ${gateId} --actor NAME --reason TEXT\` (or reject), then resume the trace`
      : status === "rejected"
      ? `; gate '${gateId}' was rejected, so the steps after it do not run`
      : `; call tracer.gate('${step}', subject) first`;
    super(
      `${what}: gate step '${step}' is ${status.replace("_", " ")}${how}`,
    );
    this.name = "GateHaltError";
    this.step = step;
    this.gateId = gateId;
    this.status = status;
  }
}
