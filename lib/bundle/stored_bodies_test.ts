import assert from "node:assert/strict";
import meta from "../../deno.json" with { type: "json" };
import { open } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";

const DATA = new URL("./testdata/", import.meta.url);

/** The generator the golden bundle was written by (the version then). */
const GOLDEN_GENERATOR = '"generator":"@llm-workbench/workbench@0.1.0"';

Deno.test("bundle() of a database written before bodies were stored once is byte-for-byte the bundle that database gave then", async () => {
  // pre_bodies.db: the bundle test fixture written by the code before
  // migration 0005 (receipts carrying their bodies), and
  // pre_bodies.bundle.json: that code's bundle of comparison cmp_01.
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
    const expected = golden.replace(
      GOLDEN_GENERATOR,
      `"generator":"${meta.name}@${meta.version}"`,
    );
    assert.equal(made.text, expected);
    const verified = await verifyBundle(made.text!);
    assert.deepEqual(verified.problems, []);
    assert.equal(verified.counts.receipts, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
