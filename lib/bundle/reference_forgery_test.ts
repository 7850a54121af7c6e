/**
 * Forging a version 2 bundle's cache hits (section 4.1 of
 * docs/bundle-format.md): each attempt edits a cached run's bundle and then
 * recomputes everything a forger can without the signing key (the record's
 * own hash where said, the table of contents, the payload sha256), so only
 * the reference rules stand between the edit and an accepted bundle.
 */
import assert from "node:assert/strict";
import { cachedRerun } from "./_test_fixture.ts";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { type BundleSection, recordKey } from "../store/bundle.ts";
import { open } from "../store/open.ts";
import { listReceipts } from "../store/scores.ts";
import { importBundle } from "./import_bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";
import { bundle } from "./bundle.ts";
import { loadBundle } from "./_load.ts";

type Rec = Record<string, unknown>;
type Doc = Rec & {
  sections: Record<string, Rec[]>;
  toc: Record<string, { id: string; sha256: string; redacted?: true }[]>;
  integrity: Rec;
};

/** A bundle of a fully cached re-run: its text and its run id. */
async function cachedBundle(): Promise<{ text: string; runId: string }> {
  await using store = await open(":memory:");
  const again = await cachedRerun(store, { cases: ["st-001", "st-020"] });
  assert.ok(again.cache_hits >= 2);
  const made = await bundle(store, { runs: [again.run_id] });
  return { text: made.text!, runId: again.run_id };
}

const made = await cachedBundle();

/** The record with its own `sha256` recomputed. */
function sealed(record: Rec): Rec {
  const { sha256: _, ...rest } = record;
  return { ...rest, sha256: contentHash(rest) };
}

/**
 * Edits the bundle, then rebuilds the table of contents from the records
 * (keeping `redacted` flags by id) and recomputes the payload sha256.
 */
function forge(edit: (doc: Doc, hits: Rec[], byId: Map<unknown, Rec>) => void) {
  const doc = JSON.parse(made.text) as Doc;
  const receipts = doc.sections.receipts!;
  edit(
    doc,
    receipts.filter((r) => "cached_sha256" in r),
    new Map(receipts.map((r) => [r.id, r])),
  );
  for (const [section, records] of Object.entries(doc.sections)) {
    const flagged = new Set(
      doc.toc[section]!.filter((e) => e.redacted).map((e) => e.id),
    );
    doc.toc[section] = records.map((r) => {
      const id = recordKey(section as BundleSection, r);
      return {
        id,
        sha256: sha256Hex(canonicalize(r)),
        ...(flagged.has(id) ? { redacted: true as const } : {}),
      };
    });
  }
  const { integrity, ...payload } = doc;
  integrity.sha256 = sha256Hex(canonicalize(payload));
  return `${canonicalize(payload).slice(0, -1)},"integrity":${
    canonicalize(integrity)
  }}`;
}

/** Replaces a receipt in place by id. */
function replace(doc: Doc, id: unknown, record: Rec): void {
  const receipts = doc.sections.receipts!;
  receipts[receipts.findIndex((r) => r.id === id)] = record;
}

async function problems(text: string): Promise<string[]> {
  return (await verifyBundle(text)).problems.map((p) =>
    `${p.section} '${p.record}': ${p.message}`
  );
}

function assertRefused(found: string[], pattern: RegExp): void {
  assert.ok(found.some((p) => pattern.test(p)), found.join("\n"));
}

Deno.test("a cached run's bundle verifies, and forge() alone changes nothing", async () => {
  assert.deepEqual(await problems(made.text), []);
  assert.equal(forge(() => {}), made.text);
});

Deno.test("verifyBundle() refuses a cache hit whose original was removed", async () => {
  const text = forge((doc, hits) => {
    doc.sections.receipts = doc.sections.receipts!.filter((r) =>
      r.id !== hits[0]!.cached_from
    );
  });
  assertRefused(
    await problems(text),
    /cached_from receipt '.*' is not in the bundle's receipts/,
  );
});

Deno.test("verifyBundle() refuses a cache hit whose original is itself a reference, a chain or a cycle", async () => {
  // The second hit names the first (a reference), with its sha256.
  const chained = forge((doc, hits) => {
    const [first, second] = hits;
    replace(
      doc,
      second!.id,
      sealed({
        ...second!,
        cached_from: first!.id,
        cached_sha256: first!.sha256,
      }),
    );
  });
  assertRefused(await problems(chained), /is itself a reference/);
  // A hit naming itself: whatever it records, it cannot be its own original.
  const self = forge((doc, hits) => {
    const hit = hits[0]!;
    replace(
      doc,
      hit.id,
      sealed({ ...hit, cached_from: hit.id, cached_sha256: hit.sha256 }),
    );
  });
  assertRefused(await problems(self), /is itself a reference/);
  // Two hits naming each other.
  const cycle = forge((doc, hits) => {
    const [a, b] = hits;
    replace(
      doc,
      a!.id,
      sealed({ ...a!, cached_from: b!.id, cached_sha256: b!.sha256 }),
    );
    replace(
      doc,
      b!.id,
      sealed({ ...b!, cached_from: a!.id, cached_sha256: a!.sha256 }),
    );
  });
  const found = await problems(cycle);
  assertRefused(found, /is itself a reference/);
});

Deno.test("verifyBundle() refuses a cache hit whose original's response was changed, even with every hash a forger can recompute", async () => {
  const text = forge((doc, hits, byId) => {
    const original = byId.get(hits[0]!.cached_from)!;
    const response = original.response as Rec;
    replace(
      doc,
      original.id,
      sealed({ ...original, response: { ...response, text: "forged" } }),
    );
  });
  assertRefused(
    await problems(text),
    /cached_sha256 differs from the sha256 of receipt/,
  );
});

Deno.test("verifyBundle() refuses a cache hit whose own fields were edited", async () => {
  const edited = forge((doc, hits) => {
    replace(doc, hits[0]!.id, { ...hits[0]!, uncached_cost: "0" });
  });
  assertRefused(await problems(edited), /does not match its own sha256/);
  // Resealed, it is as any receipt of a run resealed (version 1 too): only
  // the payload sha256 published out of band (or a signature) refuses it.
  const resealed = forge((doc, hits) => {
    replace(doc, hits[0]!.id, sealed({ ...hits[0]!, uncached_cost: "0" }));
  });
  assert.deepEqual(await problems(resealed), []);
  const sha256 = JSON.parse(made.text).integrity.sha256 as string;
  assertRefused(
    (await verifyBundle(resealed, { expect: sha256 })).problems.map((p) =>
      p.message
    ),
    /not the expected/,
  );
});

Deno.test("verifyBundle() refuses a cache hit carrying bodies as well as its reference", async () => {
  const text = forge((doc, hits, byId) => {
    const hit = hits[0]!;
    const original = byId.get(hit.cached_from)!;
    const response = original.response as Rec;
    replace(
      doc,
      hit.id,
      sealed({
        ...hit,
        request: original.request,
        response: { ...response, text: "forged" },
      }),
    );
  });
  assertRefused(await problems(text), /record does not match the format/);
});

Deno.test("verifyBundle() accepts an original that comes after its hit, and readers still read the hit whole", async () => {
  const text = forge((doc, hits) => {
    const receipts = doc.sections.receipts!;
    const original = receipts.find((r) => r.id === hits[0]!.cached_from)!;
    doc.sections.receipts = [
      ...receipts.filter((r) => r !== original),
      original,
    ];
  });
  assert.deepEqual(await problems(text), []);
  const loaded = await loadBundle(text);
  const hit = loaded.sections.receipts.find((r) =>
    r.id ===
      (JSON.parse(made.text) as Doc).sections.receipts!.find((r) =>
        "cached_sha256" in r
      )!.id
  )!;
  assert.notEqual(hit.response, undefined);
  assert.notEqual(hit.request, undefined);
  // Imported in that order, the hit reads whole from the database too.
  await using target = await open(":memory:");
  await importBundle(target, text);
  const stored = (await listReceipts(target, made.runId)).find((r) =>
    r.id === hit.id
  )!;
  assert.deepEqual(stored.response, hit.response);
  assert.deepEqual(stored.request, hit.request);
  assert.equal(stored.cached_sha256, hit.cached_sha256);
});

Deno.test("verifyBundle() refuses a version 1 bundle with references and a bundle with a receipt twice", async () => {
  const v1 = forge((doc) => {
    doc.version = 1;
  });
  assertRefused(
    await problems(v1),
    /a version 1 bundle carries every receipt whole/,
  );
  // A second copy of an original, with another response, placed first.
  const twice = forge((doc, hits, byId) => {
    const original = byId.get(hits[0]!.cached_from)!;
    const response = original.response as Rec;
    const copy = sealed({ ...original, response: { ...response, text: "x" } });
    doc.sections.receipts!.unshift({ ...copy, sha256: original.sha256 });
  });
  assertRefused(await problems(twice), /record appears twice/);
});

Deno.test("verifyBundle() counts a cache hit whose original is marked redacted as redacted: what it reused is not checked", async () => {
  // A forger marks an original redacted and changes its response: every
  // hit of it now reads the forged response, and the summary must say so.
  const doc = JSON.parse(made.text) as Doc;
  const from = doc.sections.receipts!.find((r) => "cached_sha256" in r)!
    .cached_from;
  const hitsOfIt =
    doc.sections.receipts!.filter((r) =>
      "cached_sha256" in r && r.cached_from === from
    ).length;
  const text = forge((doc, _hits, byId) => {
    const original = byId.get(from)!;
    const response = original.response as Rec;
    replace(doc, from, { ...original, response: { ...response, text: "x" } });
    doc.toc.receipts!.find((e) => e.id === from)!.redacted = true;
  });
  const result = await verifyBundle(text);
  assert.deepEqual(result.problems, []);
  assert.equal(result.redacted, 1 + hitsOfIt);
  assert.match(result.summary, new RegExp(`, ${1 + hitsOfIt} redacted;`));
});

Deno.test("bundle() counts the cache hits of a redacted receipt as redacted, as verifyBundle() does", async () => {
  await using store = await open(":memory:");
  const again = await cachedRerun(store, { cases: ["st-001"] });
  const redactedMade = await bundle(store, {
    runs: [again.run_id],
    redact: ["input.customer_message"],
  });
  const doc = JSON.parse(redactedMade.text!) as Doc;
  const flagged = new Set(
    doc.toc.receipts!.filter((e) => e.redacted).map((e) => e.id),
  );
  const hits = doc.sections.receipts!.filter((r) =>
    "cached_sha256" in r && flagged.has(r.cached_from as string)
  );
  assert.equal(hits.length, again.cache_hits, "every original was redacted");
  const flaggedAll = Object.values(doc.toc).flat().filter((e) => e.redacted)
    .length;
  assert.equal(redactedMade.redacted, flaggedAll + hits.length);
  const verified = await verifyBundle(redactedMade.text!);
  assert.deepEqual(verified.problems, []);
  assert.equal(verified.redacted, redactedMade.redacted);
});

Deno.test("verifyBundle() refuses a cache hit whose cache key is not its original's (the key names the request it reused)", async () => {
  const text = forge((doc, hits) => {
    replace(
      doc,
      hits[0]!.id,
      sealed({ ...hits[0]!, cache_key: "f".repeat(64) }),
    );
  });
  assertRefused(
    await problems(text),
    /cache_key differs from that of receipt/,
  );
});
