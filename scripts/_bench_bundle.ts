/**
 * Benchmark part 5: bundles. Each step runs in its own process so its peak
 * memory is its own:
 *
 * - `export <database> <run id> <bundle file>`: `bundle()` of the run to a file;
 * - `verify <bundle file>`: `verifyBundle()` streaming the file;
 * - `import <bundle file> <database>`: `importBundle()` into a fresh database;
 * - `limit <database> <run id>`: on the same records, read in batches,
 *   the toolkit's canonicalize-and-hash (RFC 8785 text and sha256 of every
 *   record, as `bundle()` does, plus the running payload hash) against the
 *   practical limit: `JSON.stringify` of the same records and a WebCrypto
 *   sha256 of the text.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { bundle } from "../lib/bundle/bundle.ts";
import { importBundle } from "../lib/bundle/import_bundle.ts";
import { verifyBundle } from "../lib/bundle/verify_bundle.ts";
import { canonicalize } from "../lib/content/canonicalize.ts";
import { sha256Hex } from "../lib/content/sha256.ts";
import {
  BUNDLE_SECTIONS,
  type BundleRecord,
  planBundle,
  readBundleRecords,
} from "../lib/store/bundle.ts";
import { open } from "../lib/store/open.ts";
import { databaseUrl, report, round } from "./_bench_util.ts";

const MB = 1e6;
const [mode, ...args] = Deno.args;

async function exportStep(database: string, run: string, file: string) {
  await using store = await open(databaseUrl(database));
  const started = performance.now();
  const result = await bundle(store, { runs: [run], to: file });
  const ms = performance.now() - started;
  report({
    part: "bundle_export",
    bytes: result.bytes,
    records: Object.values(result.counts).reduce((a, b) => a + b, 0),
    receipts: result.counts.receipts,
    ms: round(ms, 1),
    mb_per_second: round(result.bytes / MB / (ms / 1000), 1),
  });
}

async function verifyStep(file: string) {
  const bytes = (await Deno.stat(file)).size;
  const started = performance.now();
  using handle = await Deno.open(file);
  const result = await verifyBundle(handle.readable);
  const ms = performance.now() - started;
  if (!result.ok) {
    throw new Error(`The bundle does not verify: ${result.summary}`);
  }
  report({
    part: "bundle_verify",
    bytes,
    ms: round(ms, 1),
    mb_per_second: round(bytes / MB / (ms / 1000), 1),
  });
}

async function importStep(file: string, database: string) {
  const bytes = (await Deno.stat(file)).size;
  await using store = await open(databaseUrl(database));
  const started = performance.now();
  using handle = await Deno.open(file);
  const result = await importBundle(store, handle.readable);
  const ms = performance.now() - started;
  report({
    part: "bundle_import",
    bytes,
    rows: Object.values(result.inserted).reduce((a, b) => a + b, 0),
    ms: round(ms, 1),
    mb_per_second: round(bytes / MB / (ms / 1000), 1),
  });
}

async function limitStep(database: string, run: string) {
  await using store = await open(databaseUrl(database));
  const plan = await planBundle(store, { runs: [run] });
  const encoder = new TextEncoder();
  const payload = createHash("sha256");
  let toolkitMs = 0;
  let limitMs = 0;
  let toolkitBytes = 0;
  let limitBytes = 0;
  let records = 0;
  const measure = async (batch: BundleRecord[]) => {
    // The toolkit: canonical text and its sha256 per record, and the
    // running payload hash over all of them (what `bundle()` computes).
    let started = performance.now();
    const texts: string[] = [];
    for (const record of batch) {
      const text = canonicalize(record);
      sha256Hex(text);
      payload.update(text);
      texts.push(text);
    }
    toolkitMs += performance.now() - started;
    for (const text of texts) toolkitBytes += encoder.encode(text).length;
    // The practical limit: the engine's own serializer and digest.
    started = performance.now();
    const json = JSON.stringify(batch);
    const bytes = encoder.encode(json);
    await crypto.subtle.digest("SHA-256", bytes);
    limitMs += performance.now() - started;
    limitBytes += bytes.length;
  };
  for (const section of BUNDLE_SECTIONS) {
    let batch: BundleRecord[] = [];
    for await (const record of readBundleRecords(store, section, plan)) {
      batch.push(record);
      records++;
      if (batch.length === 1000) {
        await measure(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await measure(batch);
  }
  payload.digest("hex");
  const toolkitRate = toolkitBytes / MB / (toolkitMs / 1000);
  const limitRate = limitBytes / MB / (limitMs / 1000);
  report({
    part: "bundle_limit",
    records,
    canonical_bytes: toolkitBytes,
    canonicalize_hash_ms: round(toolkitMs, 1),
    canonicalize_hash_mb_per_second: round(toolkitRate, 1),
    stringify_bytes: limitBytes,
    stringify_webcrypto_ms: round(limitMs, 1),
    stringify_webcrypto_mb_per_second: round(limitRate, 1),
    ratio_to_limit: round(toolkitRate / limitRate, 3),
  });
}

if (mode === "export" && args.length === 3) {
  await exportStep(args[0]!, args[1]!, args[2]!);
} else if (mode === "verify" && args.length === 1) {
  await verifyStep(args[0]!);
} else if (mode === "import" && args.length === 2) {
  await importStep(args[0]!, args[1]!);
} else if (mode === "limit" && args.length === 2) {
  await limitStep(args[0]!, args[1]!);
} else {
  throw new TypeError(
    "Usage: _bench_bundle.ts export <database> <run id> <bundle file> | verify <bundle file> | import <bundle file> <database> | limit <database> <run id>",
  );
}
