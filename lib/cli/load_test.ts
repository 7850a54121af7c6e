import assert from "node:assert/strict";
import { makeCatalog, PROMPTS } from "../catalog/_test_helpers.ts";
import { countCatalogRows } from "../store/catalog.ts";
import { open } from "../store/open.ts";
import { loadCommand } from "./load.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

Deno.test("wb load prints what it added, then no new versions on a re-run", async () => {
  const root = await makeCatalog();
  const db = `file:${root}/wb.db`;
  try {
    const first = capture();
    assert.equal(
      await main(["load", "--root", root, "--db", db], first.io, [loadCommand]),
      0,
      first.err.join("\n"),
    );
    assert.equal(first.out.length, 7);
    assert.match(
      first.out[0]!,
      /^ticket_triage: task definition [0-9a-f]{12} \(new\)$/,
    );
    assert.equal(first.out[1], "ticket_triage: prompt versions added: v1, v2");
    assert.match(
      first.out[2]!,
      /^ticket_triage: dataset [0-9a-f]{12} \(new, 10 cases\)$/,
    );
    assert.match(
      first.out[3]!,
      /^model config fake-fast [0-9a-f]{12} \(new\)$/,
    );
    assert.equal(
      first.out[5],
      "price fake/fake-fast-1 from 2026-01-01: 0.10 in, 0.40 out per 1M tokens (USD)",
    );

    const again = capture();
    assert.equal(
      await main(["load", "--root", root, "--db", db], again.io, [loadCommand]),
      0,
    );
    assert.deepEqual(again.out, ["no new versions"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wb load exits 2 and writes nothing when a loaded prompt was edited", async () => {
  const root = await makeCatalog();
  const db = `file:${root}/wb.db`;
  try {
    assert.equal(
      await main(["load", "--root", root, "--db", db], capture().io, [
        loadCommand,
      ]),
      0,
    );
    const path = `${root}/${PROMPTS}/v2.yaml`;
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(path)).replace(
        "max_tokens: 200",
        "max_tokens: 250",
      ),
    );
    const store = await open(db);
    const before = await countCatalogRows(store);
    await store.close();
    const { out, err, io } = capture();
    assert.equal(
      await main(["load", "--root", root, "--db", db], io, [loadCommand]),
      2,
    );
    assert.deepEqual(out, []);
    assert.match(
      err.join("\n"),
      /^wb load: Cannot load the catalog: ticket_triage v2 already exists with different content; add v3 instead/,
    );
    const after = await open(db);
    assert.deepEqual(await countCatalogRows(after), before);
    await after.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
