import assert from "node:assert/strict";
import { validateCatalog } from "./validate_catalog.ts";
import {
  assertIssue,
  DATASET,
  makeCatalog,
  TASK,
  TEST_CHECKS,
} from "./_test_helpers.ts";

Deno.test("validateCatalog() returns ok and each task's slice distribution", async () => {
  const root = await makeCatalog();
  try {
    const result = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(result.ok, true);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.distribution, [{
      task: TASK,
      total: 10,
      slices: {
        typical: { count: 6, share: 0.6, target: 0.6 },
        edge: { count: 2, share: 0.2, target: 0.2 },
        known_failure: { count: 1, share: 0.1, target: 0.1 },
        adversarial: { count: 1, share: 0.1, target: 0.1 },
      },
    }]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() accepts a slice within one case of its target and no further", async () => {
  const root = await makeCatalog();
  try {
    const path = `${root}/${DATASET}`;
    const lines = (await Deno.readTextFile(path)).split("\n");
    const move = (index: number) => {
      lines[index] = lines[index]!.replace(
        '"slice": "typical"',
        '"slice": "edge"',
      );
    };
    move(0);
    await Deno.writeTextFile(path, lines.join("\n"));
    const near = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(near.ok, true);
    assert.equal(near.distribution[0]?.slices.edge.count, 3);

    move(1);
    await Deno.writeTextFile(path, lines.join("\n"));
    const far = await validateCatalog(root, { checks: TEST_CHECKS });
    assert.equal(far.ok, false);
    assert.equal(far.issues.length, 2);
    assertIssue(far.issues, {
      file: DATASET,
      field: "slice",
      message:
        /^slice 'edge' has 4 of 10 cases \(40%\) .* targets 20% \(2 cases\): remove 'edge' cases/,
    });
    assert.equal(far.distribution[0]?.slices.typical.share, 0.4);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("validateCatalog() writes nothing to the catalog directory", async () => {
  const root = await makeCatalog("unknown_slice");
  try {
    const list = async () => {
      const names: string[] = [];
      for (const dir of [root, `${root}/datasets`, `${root}/prompts/${TASK}`]) {
        for await (const entry of Deno.readDir(dir)) {
          names.push(`${dir}/${entry.name}`);
        }
      }
      return names.sort();
    };
    const before = await list();
    const result = await validateCatalog(root);
    assert.equal(result.ok, false);
    assert.deepEqual(await list(), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
