/**
 * Request and response bodies, stored once: a receipt row in `model_io`
 * names its request and response by the sha256 of their canonical JSON, and
 * the text lives in `bodies`, one row per distinct body. A rendered prompt
 * shared by repetitions, a judge's rubric prompt shared by every cell and a
 * response a cache hit reuses are each stored once. Every reader of receipt
 * bodies goes through {@linkcode withBodies}.
 *
 * A request's large top-level members (the system prompt, the messages) are
 * bodies of their own, since the whole request differs between calls that
 * share them (a repetition number, a judged output): the request body is
 * then the request with each such member's value replaced by the string
 * `"\u0000"`, and `request_parts` maps each member to its body. Reading puts
 * the members' canonical JSON back in place of the markers, giving exactly
 * the request's canonical JSON (checked when written: a request that would
 * not come back exactly is stored whole).
 *
 * @module
 */
import type { Kysely } from "kysely";
import { canonicalize } from "../content/canonicalize.ts";
import { sha256Hex } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import type { Database } from "./tables.ts";

/** A `bodies` row: a body's text and the sha256 that names it. */
export type BodyRow = Database["bodies"];

/** The `bodies` row for a body's text. */
export function bodyRow(text: string): BodyRow {
  return { sha256: sha256Hex(text), body: text };
}

/** Top-level request members at least this long (canonical JSON) are bodies of their own. */
const PART_MIN_CHARS = 256;

/** The marker a request part leaves in the request body. */
const MARKER = "\u0000";

/** The marker's canonical JSON. */
const MARKER_JSON = JSON.stringify(MARKER);

function markerOf(key: string): string {
  return `${JSON.stringify(key)}:${JSON.stringify(MARKER)}`;
}

/** How a request is stored: its body, and its parts' bodies by member. */
export interface RequestBodies {
  /** The request body (the request, with markers where its parts were). */
  readonly request: BodyRow;
  /** `request_parts`: canonical JSON of member name to part sha256, or null when stored whole. */
  readonly parts: string | null;
  /** The request body, then each part's. */
  readonly bodies: readonly BodyRow[];
}

/**
 * The bodies a request is stored as. `canonical` is `canonicalize(request)`;
 * `members`, when given, holds exactly `canonicalize` of each of the
 * request's members that is not `undefined` (the runner has them already),
 * so they are not serialized again.
 */
export function requestBodies(
  request: Readonly<Record<string, unknown>>,
  canonical: string,
  members?: Readonly<Record<string, string>>,
): RequestBodies {
  const parts: [string, string][] = [];
  let skeleton: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(request)) {
    if (typeof value !== "object" && typeof value !== "string") continue;
    if (value === null) continue;
    const text = members?.[key] ?? canonicalize(value);
    if (text.length < PART_MIN_CHARS) continue;
    skeleton ??= { ...request };
    skeleton[key] = MARKER;
    parts.push([key, text]);
  }
  if (skeleton !== undefined) {
    const markers = new Map<string, number>();
    const body = members === undefined
      ? canonicalize(skeleton)
      : skeletonJson(skeleton, members, markers);
    if (
      members === undefined
        ? expand(body, parts) === canonical
        : comesBack(body, markers, parts, canonical)
    ) {
      const rows = parts.map(([key, text]) => [key, partRow(text)] as const);
      const requestRow = bodyRow(body);
      return {
        request: requestRow,
        parts: canonicalize(
          Object.fromEntries(rows.map(([key, row]) => [key, row.sha256])),
        ),
        bodies: [requestRow, ...rows.map(([, row]) => row)],
      };
    }
  }
  const whole = bodyRow(canonical);
  return { request: whole, parts: null, bodies: [whole] };
}

/**
 * `canonicalize(skeleton)` from the members' canonical texts: keys in
 * UTF-16 code unit order, `undefined` members left out, a part's marker in
 * place of its text.
 */
function skeletonJson(
  skeleton: Readonly<Record<string, unknown>>,
  members: Readonly<Record<string, string>>,
  markers: Map<string, number>,
): string {
  let out = "{";
  for (const key of Object.keys(skeleton).sort()) {
    const value = skeleton[key];
    if (value === undefined) continue;
    const text = value === MARKER
      ? MARKER_JSON
      : members[key] ?? canonicalize(value);
    if (out.length > 1) out += ",";
    if (value === MARKER) markers.set(key, out.length);
    out += `${JSON.stringify(key)}:${text}`;
  }
  return `${out}}`;
}

/**
 * Whether {@linkcode expand} gives `canonical` back, without building it:
 * each part's marker is first found where `skeletonJson` put it (`markers`),
 * no part expanded before a later part's marker holds that marker (it would
 * be found first), and the lengths agree. The members' texts being exactly
 * canonical JSON (the caller's promise), the expanded body is then
 * `canonical` itself.
 */
function comesBack(
  body: string,
  markers: ReadonlyMap<string, number>,
  parts: readonly (readonly [string, string])[],
  canonical: string,
): boolean {
  let length = body.length;
  for (let i = 0; i < parts.length; i++) {
    const [key, text] = parts[i]!;
    const at = markers.get(key)!;
    if (body.indexOf(markerOf(key)) !== at) return false;
    // Expanded in this order: a part's text lands before the markers that
    // follow it in the body, and only those could be taken from it.
    for (const [later] of parts.slice(i + 1)) {
      if (markers.get(later)! > at && text.includes(markerOf(later))) {
        return false;
      }
    }
    length += text.length - MARKER_JSON.length;
  }
  return length === canonical.length;
}

/**
 * The last parts' rows: a system prompt repeats from call to call and a
 * rendered prompt from repetition to repetition; each is hashed once.
 * Looked through with `===` (texts of other lengths differ at once; a map
 * would hash every new text to look it up).
 */
const recentParts: BodyRow[] = [];

/** Parts remembered, at most. */
const RECENT_PARTS = 16;

let nextSlot = 0;

function partRow(text: string): BodyRow {
  for (const row of recentParts) if (row.body === text) return row;
  const row = bodyRow(text);
  recentParts[nextSlot] = row;
  nextSlot = (nextSlot + 1) % RECENT_PARTS;
  return row;
}

/** A request body with its parts' text put back in place of their markers. */
function expand(
  body: string,
  parts: Iterable<readonly [string, string]>,
): string {
  let out = body;
  for (const [key, text] of parts) {
    out = out.replace(markerOf(key), () => `${JSON.stringify(key)}:${text}`);
  }
  return out;
}

/** A receipt row's body references. */
export interface BodyRefs {
  /** The request body's sha256. */
  readonly request_sha256: string;
  /** The request's parts' sha256s by member (canonical JSON), null when stored whole. */
  readonly request_parts: string | null;
  /** The response body's sha256, null when there is no response. */
  readonly response_sha256: string | null;
}

/** A row with its body references replaced by the bodies' text. */
export type WithBodies<T extends BodyRefs> =
  & Omit<T, "request_sha256" | "request_parts" | "response_sha256">
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
  const parts = rows.map((r) =>
    r.request_parts === null
      ? []
      : Object.entries(JSON.parse(r.request_parts) as Record<string, string>)
  );
  const bodies = await readBodies(db, [
    ...rows.flatMap((r) => [r.request_sha256, r.response_sha256]),
    ...parts.flatMap((p) => p.map(([, sha]) => sha)),
  ]);
  return rows.map((row, i) => {
    const { request_sha256, request_parts: _, response_sha256, ...rest } = row;
    return {
      ...rest,
      request: expand(
        bodies.get(request_sha256)!,
        parts[i]!.map(([key, sha]) => [key, bodies.get(sha)!] as const),
      ),
      response: response_sha256 === null ? null : bodies.get(response_sha256)!,
    };
  });
}
