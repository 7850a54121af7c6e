import { ConflictError, ValidationError } from "../errors.ts";
import {
  BUNDLE_SECTIONS,
  type BundleRecord,
  type BundleSection,
  isAppendOnly,
  RollbackImport,
  withImportTransaction,
} from "../store/bundle.ts";
import type { Store } from "../store/open.ts";
import { scanBundle } from "./_scan.ts";
import type { BundleJwk } from "./keys.ts";
import {
  type BundleSource,
  concludeVerification,
  describe,
  type VerifyResult,
} from "./verify_bundle.ts";

/** What an import must check besides the bundle itself. */
export interface ImportBundleOptions {
  /** Refuse the bundle unless it carries a valid signature by this key. */
  pubkey?: BundleJwk;
  /** Refuse the bundle unless its payload sha256 is this one. */
  expect?: string;
}

/** A stored row an import left as it was because the bundle's differs. */
export interface DifferingRow {
  /** The section (table). */
  readonly section: BundleSection;
  /** The record's key. */
  readonly record: string;
}

/** What {@linkcode importBundle} wrote. */
export interface ImportResult {
  /** The payload sha256 of the imported bundle. */
  readonly sha256: string;
  /** Rows written, per section. */
  readonly inserted: Readonly<Record<BundleSection, number>>;
  /** Rows already present with the same content, per section. */
  readonly unchanged: Readonly<Record<BundleSection, number>>;
  /**
   * Rows of mutable tables (runs, results, ...) already present with other
   * content; they were kept as they are.
   */
  readonly differing: readonly DifferingRow[];
  /** Records the bundle marks as redacted (imported as redacted). */
  readonly redacted: number;
  /** The verification the import passed. */
  readonly verification: VerifyResult;
}

const BATCH = 200;

/**
 * Loads a bundle into a database, after verifying it while it streams in:
 * everything happens in one transaction, and nothing is written unless the
 * bundle verifies. Only missing rows are written, so importing the same
 * bundle twice changes nothing; a row of an append-only table (receipts,
 * events, prompt versions, ...) that exists with other content is a
 * conflict and nothing is written.
 *
 * @param store The database to load into.
 * @param source The bundle's text, bytes or byte stream.
 * @param options A public key and/or expected sha256 the bundle must match.
 * @returns Rows inserted and unchanged per section.
 * @throws {ValidationError} If the bundle does not verify (issues name section and record).
 * @throws {ConflictError} If an append-only row exists with different content.
 *
 * @example Import into a second database, twice
 * ```ts
 * import { bundle, importBundle, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using source = await open(":memory:");
 * const tracer = await Tracer.start(source, { schema_version: 1, name: "demo", steps: [{ id: "a" }] });
 * await tracer.emit("step_finished", { step: "a" });
 * const { text } = await bundle(source, { trace: tracer.traceId });
 * await using target = await open(":memory:");
 * const first = await importBundle(target, text!);
 * const second = await importBundle(target, text!);
 * assert.equal(first.inserted.trace_events, 2);
 * assert.equal(second.inserted.trace_events, 0);
 * assert.equal(second.unchanged.trace_events, 2);
 * ```
 */
export async function importBundle(
  store: Store,
  source: BundleSource,
  options: ImportBundleOptions = {},
): Promise<ImportResult> {
  const zero = () =>
    Object.fromEntries(BUNDLE_SECTIONS.map((s) => [s, 0])) as Record<
      BundleSection,
      number
    >;
  const inserted = zero();
  const unchanged = zero();
  const differing: DifferingRow[] = [];
  const conflicts: DifferingRow[] = [];
  let outcome: VerifyResult | null = null;
  try {
    await withImportTransaction(store, async (writer) => {
      let batch: BundleRecord[] = [];
      let batchSection: BundleSection | null = null;
      const flush = async () => {
        if (batchSection === null || batch.length === 0) return;
        const result = await writer.write(batchSection, batch);
        inserted[batchSection] += result.inserted;
        unchanged[batchSection] += result.unchanged;
        for (const record of result.differing) {
          (isAppendOnly(batchSection) ? conflicts : differing).push({
            section: batchSection,
            record,
          });
        }
        batch = [];
      };
      const scan = await scanBundle(source, async (section, record) => {
        if (section !== batchSection) {
          await flush();
          batchSection = section;
        }
        batch.push(record);
        if (batch.length >= BATCH) await flush();
      });
      await flush();
      outcome = await concludeVerification(scan, options);
      if (!outcome.ok || conflicts.length > 0) throw new RollbackImport();
    });
  } catch (error) {
    if (!(error instanceof RollbackImport)) throw error;
  }
  const verification = outcome as VerifyResult | null;
  if (verification === null || !verification.ok) {
    throw new ValidationError(
      (verification?.problems ?? []).map((problem) => ({
        ...(problem.section === null ? {} : { file: problem.section }),
        ...(problem.record === null ? {} : { field: problem.record }),
        message: problem.message,
      })),
      { cause: verification },
    );
  }
  if (conflicts.length > 0) {
    throw new ConflictError(
      `Cannot import the bundle as ${conflicts.length} append-only row${
        conflicts.length === 1 ? "" : "s"
      } already exist with different content (nothing was written): ${
        conflicts.slice(0, 5).map((c) =>
          describe({ section: c.section, record: c.record, message: "differs" })
        ).join("; ")
      }`,
    );
  }
  return {
    sha256: verification.sha256!,
    inserted,
    unchanged,
    differing,
    redacted: verification.redacted,
    verification,
  };
}
