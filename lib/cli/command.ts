import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CacheMode } from "../experiment/options.ts";
import type { Store } from "../store/open.ts";

/** Exit codes every `wb` command uses; `wb help` prints {@linkcode EXIT_MEANING}. */
export const EXIT = { ok: 0, failed: 1, usage: 2, inconclusive: 3 } as const;

/** What each exit code means, one line each, as `wb help` prints them. */
export const EXIT_MEANING: Readonly<Record<keyof typeof EXIT, string>> = {
  ok:
    "done; compare: APPROVED; verify, diff, replay, rerun: nothing wrong or different",
  failed:
    "a failure found: compare REJECTED, a bundle that does not verify, bundles or scorecards that differ, a run unfinished or all its calls failed",
  usage:
    "bad input, nothing written: unknown command or flag, invalid catalog or file, unknown id, unusable database",
  inconclusive:
    "no decision: compare INCONCLUSIVE (not a detected regression), calibrate with no label matched",
};

/** Where a command writes; tests pass buffers instead of the terminal. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** One `wb` subcommand. */
export interface Command {
  /** The word after `wb`, e.g. `load`. */
  readonly name: string;
  /** One line for `wb help`. */
  readonly summary: string;
  /** Usage text shown by `wb help NAME` and on bad arguments. */
  readonly usage: string;
  /** Runs the command with the words after its name; resolves to an exit code. */
  run(args: string[], io: Io): Promise<number>;
}

/** Raised for bad command-line input; main prints it with the usage and exits 2. */
export class UsageError extends Error {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The `--db` option every command takes. */
export const DB_OPTION = { db: { type: "string" } } as const;

/**
 * The `--json` option of every command that prints data: the output is
 * then one JSON document on stdout, of the shape docs/cli-json.md gives for
 * the command, and the exit code is the same as without it.
 */
export const JSON_OPTION = { json: { type: "boolean" } } as const;

/** Prints a command's `--json` output: one JSON document, indented by two spaces. */
export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/**
 * Parses a command's arguments strictly (unknown flags are a UsageError).
 */
export function parseCommandArgs<
  T extends NonNullable<ParseArgsConfig["options"]>,
>(
  args: string[],
  options: T,
  allowPositionals = false,
): ReturnType<
  typeof parseArgs<
    { args: string[]; options: T; allowPositionals: boolean; strict: true }
  >
> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message : String(error),
    );
  }
}

/** Opens the store named by `--db`, else `WB_DATABASE_URL`, else the default file. */
export async function openFromFlag(db: string | undefined): Promise<Store> {
  // Imported here, not above, so that commands which never open a store
  // (and `wb help`) do not load the database drivers.
  const { open } = await import("../store/open.ts");
  return await open(db);
}

/** Reads a required string flag or throws a UsageError naming it. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") {
    throw new UsageError(`missing --${flag}`);
  }
  return value;
}

/** Parses a whole-number flag (0 or more), or undefined when absent. */
export function wholeNumber(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`--${flag} takes a whole number, not '${value}'`);
  }
  return n;
}

/** Parses `--cache use|refresh|off`, or undefined when absent. */
export function cacheMode(value: string | undefined): CacheMode | undefined {
  if (value === undefined) return undefined;
  if (value !== "use" && value !== "refresh" && value !== "off") {
    throw new UsageError(`--cache takes use, refresh or off, not '${value}'`);
  }
  return value;
}

/** A positive integer flag's value (undefined when absent), or a UsageError naming the flag. */
export function positiveInt(
  value: string | undefined,
  flag: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} takes a positive integer, not '${value}'`);
  }
  return n;
}
