import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import { readCatalog } from "./read_catalog.ts";
import {
  assertIssue,
  DATASET,
  makeCatalog,
  PROMPTS,
  TASK,
  TEST_CHECKS,
} from "./_test_helpers.ts";

Deno.test("readCatalog() parses the catalog and computes content ids", async () => {
  const root = await makeCatalog();
  try {
    const catalog = await readCatalog(root, { checks: TEST_CHECKS });
    assert.equal(catalog.root, root);
    assert.equal(catalog.tasks.length, 1);
    const item = catalog.tasks[0]!;
    assert.equal(item.task.name, TASK);
    assert.equal(item.task_file, `${PROMPTS}/task.yaml`);
    assert.equal(item.dataset_file, DATASET);
    const { id, name, ...definition } = item.task;
    assert.equal(id, contentHash({ name, definition }));
    assert.deepEqual(item.prompts.map((p) => [p.version, p.file]), [
      [1, `${PROMPTS}/v1.yaml`],
      [2, `${PROMPTS}/v2.yaml`],
    ]);
    const v1 = item.prompts[0]!;
    assert.equal(v1.prompt.author, "catalog-tests");
    assert.equal(
      v1.sha256,
      contentHash({
        system: v1.prompt.system,
        template: v1.prompt.template,
        params: v1.prompt.params,
      }),
    );
    assert.equal(item.dataset.id, contentHash(item.dataset.cases));
    assert.equal(item.dataset.cases.length, 10);
    assert.deepEqual(catalog.models.models.map((m) => m.id), [
      "fake-fast",
      "fake-judge",
    ]);
    assert.equal(catalog.models.prices[0]?.currency, "USD");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readCatalog() checks check names by default and not with checks: false", async () => {
  const root = await makeCatalog("unknown_check");
  try {
    const catalog = await readCatalog(root, { checks: false });
    assert.equal(catalog.tasks[0]?.task.checks[2]?.name, "exact_matches");
    const error = await readCatalog(root).catch((e) => e);
    assert.ok(error instanceof ValidationError);
    assert.match(error.issues[0]!.message, /unknown check 'exact_matches'/);
    await assert.rejects(
      () => readCatalog(root, { checks: TEST_CHECKS }),
      ValidationError,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readCatalog() names missing directories and files", async (t) => {
  await t.step("a root that does not exist", async () => {
    const error = await readCatalog("/nonexistent/wb-catalog").catch((e) => e);
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(error.issues, [{
      message:
        "catalog directory '/nonexistent/wb-catalog' not found: pass the repository root (--root DIR)",
    }]);
  });

  const root = await makeCatalog();
  try {
    await t.step(
      "a task without dataset, and a dataset without task",
      async () => {
        await Deno.rename(`${root}/${DATASET}`, `${root}/datasets/other.jsonl`);
        const error = await readCatalog(root).catch((e) => e);
        assert.ok(error instanceof ValidationError);
        assertIssue(error.issues, {
          file: DATASET,
          message: /^dataset not found: add it with one JSON case per line/,
        });
        assertIssue(error.issues, {
          file: "datasets/other.jsonl",
          message:
            /^no task 'other' for this dataset: add prompts\/other\/task\.yaml/,
        });
        await Deno.rename(`${root}/datasets/other.jsonl`, `${root}/${DATASET}`);
      },
    );

    await t.step("a task without task.yaml or prompt versions", async () => {
      await Deno.mkdir(`${root}/prompts/Bad Name`);
      await Deno.writeTextFile(`${root}/datasets/Bad Name.jsonl`, "");
      const error = await readCatalog(root).catch((e) => e);
      assert.ok(error instanceof ValidationError);
      assertIssue(error.issues, {
        file: "prompts/Bad Name/",
        message: /^task name 'Bad Name' is not allowed: use lower case letters/,
      });
      assertIssue(error.issues, {
        file: "prompts/Bad Name/task.yaml",
        message: /^task definition not found: add task\.yaml/,
      });
      assertIssue(error.issues, {
        file: "prompts/Bad Name/",
        message: /^no prompt version: add v1\.yaml/,
      });
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readCatalog() reports unknown fields and bad models.yaml rows with lines", async () => {
  const root = await makeCatalog();
  try {
    await Deno.writeTextFile(
      `${root}/models.yaml`,
      [
        "schema_version: 1",
        "models:",
        "  - {id: fake-fast, provider: fake, model: a}",
        "  - {id: fake-fast, provider: fake, model: b}",
        "  - {id: other, provider: fakes, model: c, temprature: 1}",
        "prices:",
        "  - {provider: fake, model: a, input_per_mtok: 0.8, output_per_mtok: '1', valid_from: '2026-01-01'}",
      ].join("\n"),
    );
    const error = await readCatalog(root).catch((e) => e);
    assert.ok(error instanceof ValidationError);
    assertIssue(error.issues, {
      file: "models.yaml",
      line: 5,
      field: "models[2].provider",
      message: /^invalid value 'fakes': use one of fake, anthropic, openai$/,
    });
    assertIssue(error.issues, {
      file: "models.yaml",
      line: 5,
      field: "models[2].temprature",
      message: /^unknown field: remove it or check its spelling$/,
    });
    assertIssue(error.issues, {
      file: "models.yaml",
      line: 7,
      field: "prices[0].input_per_mtok",
      message: /^must be a string, not number '0.8'$/,
    });

    await Deno.writeTextFile(
      `${root}/models.yaml`,
      [
        "schema_version: 1",
        "models:",
        "  - {id: fake-fast, provider: fake, model: a}",
        "  - {id: fake-fast, provider: fake, model: b}",
      ].join("\n"),
    );
    const duplicate = await readCatalog(root).catch((e) => e);
    assert.ok(duplicate instanceof ValidationError);
    assertIssue(duplicate.issues, {
      file: "models.yaml",
      line: 4,
      field: "models[1].id",
      message: /^duplicate model id 'fake-fast' \(first at models\[0\]\)/,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
