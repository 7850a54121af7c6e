import { createHash, type Hash } from "node:crypto";
import { canonicalize } from "../content/canonicalize.ts";
import { ConflictError, type Issue } from "../errors.ts";
import { type Case, CaseSchema } from "../schema/dataset.ts";
import { readCatalogLines } from "./_files.ts";
import { quote, zodIssues } from "./_issues.ts";

/** A JSONL line read as a case, or the issues that stop it being one. */
export type CaseLine =
  | { readonly ok: true; readonly value: Case }
  | { readonly ok: false; readonly issues: Issue[] };

/**
 * Parses one non-blank line of `datasets/<task>.jsonl` as a case: JSON
 * syntax first, then the case schema (defaults applied).
 */
export function parseCaseLine(
  file: string,
  line: number,
  text: string,
): CaseLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error))
      .replace(/ at position \d+ \(line \d+ column (\d+)\)/, " at column $1");
    return {
      ok: false,
      issues: [{
        file,
        line,
        message: `line is not valid JSON (${
          shorten(reason)
        }): write one JSON object per line`,
      }],
    };
  }
  const parsed = CaseSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      issues: zodIssues(parsed.error, value, { file, lineOf: () => line }),
    };
  }
  return { ok: true, value: parsed.data };
}

/** The issue for a case id already used on an earlier line. */
export function duplicateIdIssue(
  file: string,
  line: number,
  id: string,
  first: number,
): Issue {
  return {
    file,
    line,
    field: "id",
    message: `duplicate case id ${
      quote(id)
    } (first on line ${first}): give each case a unique id`,
  };
}

/**
 * The dataset id, `contentHash(cases)`, computed one case at a time: the
 * canonical JSON of an array is `[` + its items' canonical JSON joined by
 * `,` + `]`, so hashing those pieces in order gives the same digest without
 * building the whole text. A case that cannot be canonicalized makes
 * {@linkcode DatasetHash.digest} throw what `contentHash(cases)` throws.
 */
export class DatasetHash {
  #hash: Hash = createHash("sha256").update("[");
  #count = 0;
  #failure: { index: number; value: Case } | undefined;

  /** Adds the next case in file order. */
  add(value: Case): void {
    if (this.#failure) return;
    let text: string;
    try {
      text = canonicalize(value);
    } catch {
      this.#failure = { index: this.#count, value };
      return;
    }
    this.#hash.update(this.#count === 0 ? text : `,${text}`);
    this.#count++;
  }

  /**
   * The sha256 (hex) of the canonical array of the cases added.
   * @throws {TypeError} If a case is not canonical JSON (a lone surrogate).
   */
  digest(): string {
    if (this.#failure) {
      // The same error, naming `$[index]`, as canonicalizing the whole array:
      // the earlier items passed, so nulls stand in for them.
      const { index, value } = this.#failure;
      canonicalize([...new Array<null>(index).fill(null), value]);
    }
    return this.#hash.update("]").digest("hex");
  }
}

/**
 * The cases of a dataset file that was validated earlier, read again in file
 * order one line at a time (for storing a new dataset version without
 * holding every case). The file must still hold exactly the cases of `id`.
 *
 * @throws {ConflictError} If the file changed since it was validated.
 */
export async function* readValidatedCases(
  root: string,
  file: string,
  id: string,
): AsyncGenerator<Case, void, undefined> {
  const changed = () =>
    new ConflictError(
      `Cannot load the catalog: ${file} changed while it was being loaded: load it again`,
    );
  const hash = new DatasetHash();
  for await (const read of readCatalogLines(root, file)) {
    if (!read.ok) throw changed();
    if (read.text.trim() === "") continue;
    const parsed = parseCaseLine(file, read.line, read.text);
    if (!parsed.ok) throw changed();
    hash.add(parsed.value);
    yield parsed.value;
  }
  let digest: string;
  try {
    digest = hash.digest();
  } catch {
    throw changed();
  }
  if (digest !== id) throw changed();
}

function shorten(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}
