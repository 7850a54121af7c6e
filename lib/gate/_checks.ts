import { ValidationError } from "../errors.ts";

/** An alias name: lowercase letters, digits, `_` and `-`, starting with a letter. */
export const ALIAS_PATTERN: RegExp = /^[a-z][a-z0-9_-]{0,63}$/;

/** Throws a ValidationError naming the field unless the value is non-blank text. */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ValidationError([{
      field,
      message: `${field} is required: give a non-empty ${field}`,
    }]);
  }
  return value.trim();
}

/** Throws a ValidationError unless a person's decision is `approve` or `reject`. */
export function requireDecision(decision: unknown): "approve" | "reject" {
  if (decision !== "approve" && decision !== "reject") {
    throw new ValidationError([{
      field: "decision",
      message: `unknown decision '${String(decision)}': use approve or reject`,
    }]);
  }
  return decision;
}

/** Throws a ValidationError unless the alias name is valid. */
export function requireAlias(alias: string): string {
  if (!ALIAS_PATTERN.test(alias)) {
    throw new ValidationError([{
      field: "alias",
      message:
        `invalid alias '${alias}': use lowercase letters, digits, _ and -, starting with a letter (e.g. production)`,
    }]);
  }
  return alias;
}

/** Throws a ValidationError unless the version is a positive integer. */
export function requireVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1) {
    throw new ValidationError([{
      field: "version",
      message: `invalid prompt version '${version}': use a positive integer`,
    }]);
  }
  return version;
}

/**
 * Who a person is for a gate's rules (one decision each, no self-approval,
 * distinct approvals): their name without surrounding space and case, so
 * "alice" and "Alice " are one person.
 */
export function actorKey(actor: string): string {
  return actor.trim().toLowerCase();
}
