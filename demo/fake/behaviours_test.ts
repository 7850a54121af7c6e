import assert from "node:assert/strict";
import { readCatalog } from "../../lib/catalog/read_catalog.ts";
import { loadFakeBehaviours } from "../../lib/providers/fake_behaviour.ts";
import { behaviours } from "./behaviours.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("every fake model in the demo's models.yaml names the demo's behaviours, and they load from that data", async () => {
  const catalog = await readCatalog(ROOT);
  const fakes = catalog.models.models.filter((m) => m.provider === "fake");
  assert.ok(fakes.length >= 5);
  for (const config of fakes) {
    assert.deepEqual(config.behaviours, ["demo/fake/behaviours.ts"], config.id);
    const loaded = await loadFakeBehaviours(config);
    assert.deepEqual(loaded.map((b) => b.task), [
      "resume_matching",
      "support_triage",
    ]);
    // The very objects this module exports: the runs answer with them.
    assert.deepEqual(loaded, behaviours);
  }
});
