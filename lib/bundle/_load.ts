/**
 * Reads a whole bundle into memory (for diff, replay and OpenTelemetry
 * export), verifying it on the way.
 *
 * @module
 */
import {
  BUNDLE_SECTIONS,
  type BundleRecord,
  type BundleSection,
} from "../store/bundle.ts";
import { wholeReceipts } from "./format.ts";
import { scanBundle } from "./_scan.ts";
import {
  type BundleSource,
  concludeVerification,
  type VerifyResult,
} from "./verify_bundle.ts";

/** A bundle in memory. */
export interface LoadedBundle {
  /** The records of every section, in bundle order; receipts read whole (see `wholeReceipts`). */
  readonly sections: Record<BundleSection, BundleRecord[]>;
  /** The header members (format, version, created_at, generator, scope, redactions). */
  readonly header: Readonly<Record<string, unknown>>;
  /** What verification found. */
  readonly verification: VerifyResult;
}

/** Loads a bundle, keeping every record even when it does not verify. */
export async function loadBundle(source: BundleSource): Promise<LoadedBundle> {
  const sections = Object.fromEntries(
    BUNDLE_SECTIONS.map((s) => [s, [] as BundleRecord[]]),
  ) as Record<BundleSection, BundleRecord[]>;
  const scan = await scanBundle(source, (section, record) => {
    sections[section].push(record);
  }, { everyRecord: true });
  sections.receipts = wholeReceipts(sections.receipts);
  return {
    sections,
    header: scan.header,
    verification: await concludeVerification(scan, {}),
  };
}
