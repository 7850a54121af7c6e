import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { Ajv2020 } from "ajv/dist/2020.js";
import { bundle } from "./bundle.ts";
import { bundleJsonSchema } from "./bundle_json_schema.ts";
import { writeFixture } from "./_test_fixture.ts";

const COMMITTED = new URL(
  "../../docs/schemas/bundle.schema.json",
  import.meta.url,
);

Deno.test("bundleJsonSchema() matches the committed docs/schemas/bundle.schema.json", async () => {
  assert.equal(
    await Deno.readTextFile(COMMITTED),
    bundleJsonSchema(),
    "run `deno task bundle-schema` to regenerate it",
  );
});

eachStore.test("bundleJsonSchema() accepts a bundle and refuses one without integrity", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const { text } = await bundle(store, { comparison: fixture.comparison });
  const ajv = new Ajv2020({ strict: false });
  const validate = ajv.compile(JSON.parse(bundleJsonSchema()));
  const doc = JSON.parse(text!);
  assert.equal(validate(doc), true, JSON.stringify(validate.errors));
  delete doc.integrity;
  assert.equal(validate(doc), false);
});
