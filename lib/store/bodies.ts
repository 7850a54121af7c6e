/**
 * Request and response bodies, stored once: a receipt row in `model_io`
 * names its request and response by the sha256 of their canonical JSON, and
 * the text lives in `bodies`, one row per distinct body. A rendered prompt
 * shared by repetitions, a judge's rubric prompt shared by every cell and a
 * response a cache hit reuses are each stored once. Every reader of receipt
 * bodies goes through {@linkcode withBodies}.
 *
 * @module
 */
import type { Kysely } from "kysely";
import { sha256Hex } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import type { Database } from "./tables.ts";

/** A `bodies` row: a body's text and the sha256 that names it. */
export type BodyRow = Database["bodies"];

/** The `bodies` row for a body's text. */
export function bodyRow(text: string): BodyRow {
  return { sha256: sha256Hex(text), body: text };
}

/** A receipt row's body references. */
export interface BodyRefs {
  /** The request body's sha256. */
  readonly request_sha256: string;
  /** The response body's sha256, null when there is no response. */
  readonly response_sha256: string | null;
}

/** A row with its body references replaced by the bodies' text. */
export type WithBodies<T extends BodyRefs> =
  & Omit<T, "request_sha256" | "response_sha256">
  & {
    /** The request's canonical JSON. */
    request: string;
    /** The response's canonical JSON, null when there is none. */
    response: string | null;
  };

/** Hashes per lookup statement. */
const HASHES_PER_LOOKUP = 500;

/**
 * The text of the bodies with these sha256s (nulls skipped), in one query
 * per 500 hashes.
 *
 * @throws {NotFoundError} If a named body is not stored.
 */
export async function readBodies(
  db: Kysely<Database>,
  hashes: Iterable<string | null>,
): Promise<Map<string, string>> {
  const wanted = [
    ...new Set([...hashes].filter((h): h is string => h !== null)),
  ];
  const found = new Map<string, string>();
  for (let i = 0; i < wanted.length; i += HASHES_PER_LOOKUP) {
    const rows = await db.selectFrom("bodies").select(["sha256", "body"])
      .where("sha256", "in", wanted.slice(i, i + HASHES_PER_LOOKUP))
      .execute();
    for (const row of rows) found.set(row.sha256, row.body);
  }
  for (const hash of wanted) {
    if (!found.has(hash)) {
      throw new NotFoundError(
        "body",
        hash,
        "a receipt names a request or response body the database does not hold; restore the database from a backup or re-import the bundle that carried it",
      );
    }
  }
  return found;
}

/**
 * Receipt rows with their request and response bodies read back: the one
 * way a receipt's bodies leave the store. Order is kept.
 *
 * @throws {NotFoundError} If a row names a body that is not stored.
 */
export async function withBodies<T extends BodyRefs>(
  db: Kysely<Database>,
  rows: readonly T[],
): Promise<WithBodies<T>[]> {
  const bodies = await readBodies(
    db,
    rows.flatMap((r) => [r.request_sha256, r.response_sha256]),
  );
  return rows.map((row) => {
    const { request_sha256, response_sha256, ...rest } = row;
    return {
      ...rest,
      request: bodies.get(request_sha256)!,
      response: response_sha256 === null ? null : bodies.get(response_sha256)!,
    };
  });
}
