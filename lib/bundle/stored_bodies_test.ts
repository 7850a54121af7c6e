import assert from "node:assert/strict";
import meta from "../../deno.json" with { type: "json" };
import { canonicalize } from "../content/canonicalize.ts";
import { open } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";

const DATA = new URL("./testdata/", import.meta.url);

/** The generator the golden bundle was written by (the version then). */
const GOLDEN_GENERATOR = '"generator":"@llm-workbench/workbench@0.1.0"';

Deno.test("bundle() of a database written before bodies were stored once holds exactly the evidence that database gave then, as format version 2", async () => {
  // pre_bodies.db: the bundle test fixture written by the code before
  // migration 0005 (receipts carrying their bodies), and
  // pre_bodies.bundle.json: that code's bundle of comparison cmp_01, in
  // format version 1. Re-exported now it is version 2: its payload is the
  // golden one but for `version` and `generator`, record for record (no
  // cache hit in it, so every receipt is carried whole as before).
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(new URL("pre_bodies.db", DATA), `${dir}/wb.db`);
    const golden = await Deno.readTextFile(
      new URL("pre_bodies.bundle.json", DATA),
    );
    await using store = await open(`file:${dir}/wb.db`);
    const bodies = await store.db.selectFrom("bodies").select("sha256")
      .execute();
    assert.ok(bodies.length > 0, "the migration moved the bodies");
    const made = await bundle(store, {
      comparison: "cmp_01",
      now: () => "2030-01-01T00:00:00.000Z",
    });
    assert.ok(golden.includes(GOLDEN_GENERATOR));
    const { integrity: _old, ...before } = JSON.parse(golden);
    const { integrity: _new, ...after } = JSON.parse(made.text!);
    assert.equal(before.version, 1);
    assert.deepEqual(after, {
      ...before,
      version: 2,
      generator: `${meta.name}@${meta.version}`,
    });
    // The file is still written canonically: the golden bytes with those
    // two members changed.
    const { integrity: _i, ...expected } = {
      ...JSON.parse(golden),
      version: 2,
      generator: `${meta.name}@${meta.version}`,
    };
    assert.ok(made.text!.startsWith(canonicalize(expected).slice(0, -1)));
    const verified = await verifyBundle(made.text!);
    assert.deepEqual(verified.problems, []);
    assert.equal(verified.counts.receipts, 6);
    assert.deepEqual((await verifyBundle(golden)).problems, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
