import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import { sha256Hex } from "../content/sha256.ts";
import { open } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { generateKeyPair } from "./keys.ts";
import { verifyBundle } from "./verify_bundle.ts";
import { writeFixture } from "./_test_fixture.ts";

type Doc = Record<string, unknown> & {
  sections: Record<string, Record<string, unknown>[]>;
  toc: Record<string, { id: string; sha256: string }[]>;
  integrity: Record<string, unknown>;
};

async function fixtureBundle(
  options: { sign?: boolean } = {},
): Promise<
  {
    text: string;
    sha256: string;
    keys: Awaited<ReturnType<typeof generateKeyPair>>;
  }
> {
  await using store = await open(":memory:");
  const fixture = await writeFixture(store);
  const keys = await generateKeyPair();
  const result = await bundle(store, {
    comparison: fixture.comparison,
    ...(options.sign ? { sign: keys.privateJwk } : {}),
  });
  return { text: result.text!, sha256: result.sha256, keys };
}

/** Edits a bundle as a person would: parse, change, save in the same layout. */
function rewrite(text: string, edit: (doc: Doc) => void): string {
  const doc = JSON.parse(text) as Doc;
  edit(doc);
  const { integrity, ...payload } = doc;
  return `${canonicalize(payload).slice(0, -1)},"integrity":${
    canonicalize(integrity)
  }}`;
}

/** Recomputes the TOC entry and the payload sha256, as a careful forger would. */
function reseal(doc: Doc, section: string, index: number): void {
  const record = doc.sections[section]![index]!;
  doc.toc[section]![index]!.sha256 = sha256Hex(canonicalize(record));
  const { integrity: _, ...payload } = doc;
  doc.integrity.sha256 = sha256Hex(canonicalize(payload));
}

Deno.test("verifyBundle() accepts an intact bundle and prints a one-line summary", async () => {
  const { text, sha256 } = await fixtureBundle();
  const result = await verifyBundle(text);
  assert.deepEqual(result.problems, []);
  assert.equal(result.ok, true);
  assert.equal(result.sha256, sha256);
  assert.equal(result.counts.runs, 2);
  assert.equal(result.counts.receipts, 6);
  assert.equal(result.counts.gate_decisions, 2);
  assert.match(result.summary, /^OK [0-9a-f]{64} \d+ records \(6 receipts/);
  assert.ok(!result.summary.includes("\n"));
});

Deno.test("verifyBundle() names the receipt in which one byte changed", async () => {
  const { text } = await fixtureBundle();
  const at = text.indexOf('"text":"{\\"category\\":\\"shipping');
  assert.ok(at > 0);
  const target = at + '"text":"{\\"category\\":\\"'.length;
  const tampered = text.slice(0, target) + "S" + text.slice(target + 1);
  assert.equal(tampered.length, text.length);
  const result = await verifyBundle(tampered);
  assert.equal(result.ok, false);
  assert.equal(result.problems[0]!.section, "receipts");
  assert.match(result.problems[0]!.record!, /^io_run_baseline01_st-001$/);
  assert.match(result.summary, /^FAILED receipts 'io_run_baseline01_st-001'/);
  assert.ok(
    result.problems.some((p) =>
      p.section === "integrity" && /payload sha256/.test(p.message)
    ),
  );
});

Deno.test("verifyBundle() detects a removed event and two swapped events", async () => {
  const { text } = await fixtureBundle();
  const at = (doc: Doc, index: number) =>
    doc.sections.trace_events!.findIndex((e) =>
      e.trace_id === "trace_run_candidate01" && e.index === index
    );
  const removed = rewrite(text, (doc) => {
    const i = at(doc, 2);
    doc.sections.trace_events!.splice(i, 1);
    doc.toc.trace_events!.splice(i, 1);
  });
  const r1 = await verifyBundle(removed);
  assert.equal(r1.ok, false);
  assert.deepEqual(r1.problems[0], {
    section: "trace_events",
    record: "trace_run_candidate01/3",
    message:
      "event 3 (step_finished) found where event 2 of trace 'trace_run_candidate01' belongs: an event was removed, reordered or inserted",
  });

  const swapped = rewrite(text, (doc) => {
    const events = doc.sections.trace_events!;
    const i = at(doc, 2);
    [events[i], events[i + 1]] = [events[i + 1]!, events[i]!];
  });
  const r2 = await verifyBundle(swapped);
  assert.equal(r2.ok, false);
  assert.equal(r2.problems[0]!.section, "trace_events");
  assert.ok(
    r2.problems.some((p) => /reordered/.test(p.message)),
    "the table of contents order names the swap",
  );
});

Deno.test("verifyBundle() names a replaced artifact even when its own hashes were recomputed", async () => {
  const { text } = await fixtureBundle();
  const replaced = rewrite(text, (doc) => {
    const artifacts = doc.sections.artifacts!;
    const index = artifacts.findIndex((a) => a.version === 1);
    const body = "We will refund you in full today, and add a voucher.\n";
    artifacts[index] = {
      ...artifacts[index]!,
      body,
      sha256: sha256Hex(body),
    };
    reseal(doc, "artifacts", index);
  });
  const result = await verifyBundle(replaced);
  assert.equal(result.ok, false);
  const problem = result.problems.find((p) => p.section === "artifacts");
  assert.ok(problem, JSON.stringify(result.problems));
  assert.match(problem.record!, /^art_/);
  assert.match(problem.message, /replaced/);
});

Deno.test("verifyBundle() detects an added and a removed receipt", async () => {
  const { text } = await fixtureBundle();
  const added = rewrite(text, (doc) => {
    doc.sections.receipts!.push({
      ...doc.sections.receipts![0]!,
      id: "io_zz_forged",
    });
  });
  const r1 = await verifyBundle(added);
  assert.ok(
    r1.problems.some((p) =>
      p.section === "receipts" && p.record === "io_zz_forged" &&
      /added/.test(p.message)
    ),
  );
  const removed = rewrite(text, (doc) => {
    doc.sections.receipts!.splice(0, 1);
  });
  const r2 = await verifyBundle(removed);
  assert.ok(
    r2.problems.some((p) =>
      p.section === "receipts" && p.record === "io_run_baseline01_st-001" &&
      /removed/.test(p.message)
    ),
  );
});

Deno.test("verifyBundle() detects an edited integrity block", async () => {
  const { text } = await fixtureBundle();
  const edited = rewrite(text, (doc) => {
    doc.integrity.sha256 = "0".repeat(64);
  });
  const result = await verifyBundle(edited);
  assert.equal(result.ok, false);
  assert.equal(result.problems[0]!.section, "integrity");
  assert.match(result.problems[0]!.message, /integrity block says 0{64}/);
});

Deno.test("verifyBundle() checks a signature against the given key", async () => {
  const { text, keys } = await fixtureBundle({ sign: true });
  const good = await verifyBundle(text, { pubkey: keys.publicJwk });
  assert.equal(good.ok, true);
  assert.equal(good.signature, "verified");
  assert.match(good.summary, new RegExp(`signed by ${keys.keyId}`));

  const unchecked = await verifyBundle(text);
  assert.equal(unchecked.signature, "present");

  const other = await generateKeyPair();
  const wrongKey = await verifyBundle(text, { pubkey: other.publicJwk });
  assert.equal(wrongKey.ok, false);
  assert.match(wrongKey.problems[0]!.message, /no signature by key/);

  // A signature made by another key but labelled with the trusted key id.
  const { text: otherText } = await fixtureBundle({ sign: true });
  const forged = rewrite(text, (doc) => {
    const foreign = JSON.parse(otherText).integrity.signature;
    foreign.signatures[0].keyid = keys.keyId;
    doc.integrity.signature = foreign;
  });
  const r = await verifyBundle(forged, { pubkey: keys.publicJwk });
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!.message, /does not verify|covers payload/);

  const { text: unsigned } = await fixtureBundle();
  const none = await verifyBundle(unsigned, { pubkey: keys.publicJwk });
  assert.match(none.problems[0]!.message, /not signed/);
});

Deno.test("verifyBundle() compares with a sha256 published out of band", async () => {
  const { text, sha256 } = await fixtureBundle();
  assert.equal((await verifyBundle(text, { expect: sha256 })).ok, true);
  assert.equal(
    (await verifyBundle(text, { expect: `sha256:${sha256.toUpperCase()}` }))
      .ok,
    true,
  );
  const wrong = await verifyBundle(text, { expect: "a".repeat(64) });
  assert.equal(wrong.ok, false);
  assert.match(wrong.problems[0]!.message, /not the expected a{64}/);
  // A forger who recomputes every hash still fails --expect.
  const forged = rewrite(text, (doc) => {
    doc.sections.results![0]!.output = "forged";
    reseal(doc, "results", 0);
  });
  const check = await verifyBundle(forged);
  assert.equal(check.ok, true, "internally consistent after resealing");
  assert.equal((await verifyBundle(forged, { expect: sha256 })).ok, false);
});

Deno.test("verifyBundle() refuses duplicate keys that JSON.parse would accept", async () => {
  const { text } = await fixtureBundle();
  const at = text.indexOf('"text":"{');
  const duplicated = `${text.slice(0, at)}"text":"forged",${text.slice(at)}`;
  assert.doesNotThrow(() => JSON.parse(duplicated));
  const result = await verifyBundle(duplicated);
  assert.equal(result.ok, false);
  assert.equal(result.sha256, null);
  assert.equal(result.problems[0]!.section, "receipts");
  assert.match(result.problems[0]!.message, /duplicate key 'text'/);
  const topLevel = text.replace('{"created_at"', '{"version":1,"created_at"');
  assert.match(
    (await verifyBundle(topLevel)).problems[0]!.message,
    /duplicate key 'version'/,
  );
});

Deno.test("verifyBundle() reads a pretty-printed bundle in another member order", async () => {
  const { text, sha256 } = await fixtureBundle();
  const doc = JSON.parse(text);
  const reordered = JSON.stringify(
    {
      integrity: doc.integrity,
      version: doc.version,
      toc: doc.toc,
      sections: Object.fromEntries(Object.entries(doc.sections).reverse()),
      scope: doc.scope,
      redactions: doc.redactions,
      generator: doc.generator,
      format: doc.format,
      created_at: doc.created_at,
    },
    null,
    2,
  );
  const result = await verifyBundle(reordered);
  assert.deepEqual(result.problems, []);
  assert.equal(result.sha256, sha256);
});

Deno.test("verifyBundle() reads a byte stream in small chunks", async () => {
  const { text, sha256 } = await fixtureBundle();
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 7) {
        controller.enqueue(bytes.slice(i, i + 7));
      }
      controller.close();
    },
  });
  const result = await verifyBundle(stream);
  assert.equal(result.ok, true);
  assert.equal(result.sha256, sha256);
});
