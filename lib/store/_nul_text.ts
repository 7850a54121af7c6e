/**
 * Text holding U+0000, on both engines. Model output is untrusted text and
 * may carry a NUL character: PostgreSQL's `text` refuses it (the cell's
 * commit would fail on every resume, so the run could never finish), and
 * the libSQL binding stores it but reads the text back cut at the NUL (the
 * stored output would silently differ from what the model said). So every
 * text parameter a statement binds is encoded and every text value read is
 * decoded, by one reversible rule, in each path to the database (the
 * connections of both engines' Kysely dialects, in `_storage_errors.ts`; the
 * writer thread; the bulk reader):
 *
 * - a string that contains U+0000 or starts with U+0001 is stored as U+0001
 *   followed by the string with each U+0001 doubled and each U+0000 written
 *   as U+0001 `0`;
 * - any other string (all but these) is stored as it is.
 *
 * Encoded strings start with U+0001 and no other stored string does, so the
 * rule is one to one and reads give back exactly what was written.
 * Equality in SQL still holds (both sides are encoded alike); a LIKE
 * pattern over such text would need encoding too (none is used on them).
 *
 * @module
 */
import type { CompiledQuery, QueryResult } from "kysely";

const ESCAPE = "\u0001";

/** Whether a string is stored encoded. */
function needsEncoding(text: string): boolean {
  return text.startsWith(ESCAPE) || text.includes("\u0000");
}

/** The stored form of a string (see the module doc). */
export function encodeText(text: string): string {
  if (!needsEncoding(text)) return text;
  return ESCAPE +
    text.replaceAll(ESCAPE, ESCAPE + ESCAPE).replaceAll("\u0000", ESCAPE + "0");
}

/** The string a stored form stands for. */
export function decodeText(stored: string): string {
  if (!stored.startsWith(ESCAPE)) return stored;
  let out = "";
  let from = 1;
  for (let at = stored.indexOf(ESCAPE, from); at !== -1;) {
    const next = stored[at + 1];
    out += stored.slice(from, at) + (next === "0" ? "\u0000" : ESCAPE);
    from = at + 2;
    at = stored.indexOf(ESCAPE, from);
  }
  return out + stored.slice(from);
}

/** Statement parameters with their text encoded; the same array when none needs it. */
export function encodeTexts(
  parameters: readonly unknown[],
): readonly unknown[] {
  if (!parameters.some((p) => typeof p === "string" && needsEncoding(p))) {
    return parameters;
  }
  return parameters.map((p) => typeof p === "string" ? encodeText(p) : p);
}

/** A statement with its text parameters encoded; the same statement when none needs it. */
export function encodedQuery(query: CompiledQuery): CompiledQuery {
  const parameters = encodeTexts(query.parameters);
  return parameters === query.parameters ? query : { ...query, parameters };
}

/** A result with its rows' text decoded; rows that need none are kept as they are. */
export function decodedResult<R>(result: QueryResult<R>): QueryResult<R> {
  let rows: R[] | undefined;
  result.rows.forEach((row, i) => {
    const decoded = decodedRow(row as Record<string, unknown>);
    if (decoded === row) return;
    rows ??= [...result.rows];
    rows[i] = decoded as R;
  });
  return rows === undefined ? result : { ...result, rows };
}

function decodedRow(
  row: Record<string, unknown>,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [column, value] of Object.entries(row)) {
    if (typeof value !== "string") continue;
    const text = decodeText(value);
    if (text === value) continue;
    copy ??= { ...row };
    copy[column] = text;
  }
  return copy ?? row;
}
