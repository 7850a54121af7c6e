import assert from "node:assert/strict";
import { makeCatalog } from "../catalog/_test_helpers.ts";
import { main } from "./main.ts";
import { validateCommand } from "./validate.ts";
import { capture } from "./_test_io.ts";

Deno.test("wb validate prints the slice distribution and exits 0 on a valid catalog", async () => {
  const root = await makeCatalog();
  try {
    const { out, err, io } = capture();
    const code = await main(["validate", "--root", root], io, [
      validateCommand,
    ]);
    assert.equal(code, 0, err.join("\n"));
    assert.deepEqual(out, [
      `catalog at ${root} is valid`,
      "ticket_triage: 10 cases",
      "  typical           6   60.0%  (target 60.0%)",
      "  edge              2   20.0%  (target 20.0%)",
      "  known_failure     1   10.0%  (target 10.0%)",
      "  adversarial       1   10.0%  (target 10.0%)",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wb validate prints every issue as file:line: field: message and exits 2", async () => {
  const root = await makeCatalog("unknown_slice");
  try {
    await Deno.writeTextFile(
      `${root}/models.yaml`,
      "schema_version: 2\nmodels: []\n",
    );
    const { out, err, io } = capture();
    const code = await main(["validate", "--root", root], io, [
      validateCommand,
    ]);
    assert.equal(code, 2);
    assert.deepEqual(out, [
      `${root}/datasets/ticket_triage.jsonl:7: slice: unknown slice 'edgy': use one of typical, edge, known_failure, adversarial`,
      `${root}/models.yaml:1: schema_version: must be 1, found number '2'`,
      `${root}/models.yaml:2: models: Too small: expected array to have >=1 items`,
    ]);
    assert.deepEqual(err, [`3 problems in the catalog at ${root}`]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wb validate refuses an unknown flag with its usage", async () => {
  const { err, io } = capture();
  const code = await main(["validate", "--rot", "x"], io, [validateCommand]);
  assert.equal(code, 2);
  assert.match(
    err.join("\n"),
    /Unknown option '--rot'[\s\S]*Usage:\n {2}wb validate \[--root DIR\]/,
  );
});
