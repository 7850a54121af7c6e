import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import {
  countCatalogRows,
  getDataset,
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
  getTask,
  listPrices,
  listPromptVersions,
} from "../store/catalog.ts";
import { open, type Store } from "../store/open.ts";
import { loadCatalog } from "./load_catalog.ts";
import {
  DATASET,
  makeCatalog,
  PROMPTS,
  TASK,
  TEST_CHECKS,
} from "./_test_helpers.ts";

async function withLoaded(
  fn: (store: Store, root: string) => Promise<void>,
): Promise<void> {
  const root = await makeCatalog();
  try {
    await using store = await open(":memory:");
    await loadCatalog(store, { root, checks: TEST_CHECKS });
    await fn(store, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("loadCatalog() stores the catalog, and a second load reports no new versions", async () => {
  const root = await makeCatalog();
  try {
    await using store = await open(":memory:");
    const first = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(first.changed, true);
    assert.equal(first.tasks.length, 1);
    const task = first.tasks[0]!;
    assert.equal(task.task, TASK);
    assert.equal(task.task_status, "new");
    assert.deepEqual(task.new_prompt_versions.map((v) => v.id), [
      "ticket_triage@v1",
      "ticket_triage@v2",
    ]);
    assert.equal(task.dataset_status, "new");
    assert.equal(task.case_count, 10);
    assert.deepEqual(first.model_configs.map((m) => [m.id, m.status]), [
      ["fake-fast", "new"],
      ["fake-judge", "new"],
    ]);
    assert.equal(first.prices.length, 2);
    const counts = await countCatalogRows(store);
    assert.deepEqual(counts, {
      tasks: 1,
      prompt_versions: 2,
      datasets: 1,
      test_cases: 10,
      model_configs: 2,
      prices: 2,
      catalog_heads: 4,
    });

    const second = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(second.changed, false);
    assert.equal(second.tasks[0]?.task_status, "unchanged");
    assert.deepEqual(second.tasks[0]?.new_prompt_versions, []);
    assert.equal(second.tasks[0]?.dataset_status, "unchanged");
    assert.equal(second.tasks[0]?.dataset_id, task.dataset_id);
    assert.deepEqual(second.model_configs, []);
    assert.deepEqual(second.prices, []);
    assert.deepEqual(await countCatalogRows(store), counts);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadCatalog() stores what the files say, with content ids", async () => {
  await withLoaded(async (store, root) => {
    const v2 = await getPromptVersion(store, TASK, 2);
    assert.equal(v2.id, "ticket_triage@v2");
    assert.equal(v2.author, "catalog-tests");
    assert.deepEqual(v2.params, { temperature: 0, max_tokens: 200 });
    assert.equal(
      v2.sha256,
      contentHash({
        system: v2.system,
        template: v2.template,
        params: v2.params,
      }),
    );
    const dataset = await getLatestDataset(store, TASK);
    assert.equal(dataset.id, contentHash(dataset.cases));
    assert.deepEqual(
      dataset.cases.map((c) => c.id),
      Array.from(
        { length: 10 },
        (_, i) => `tt-${String(i + 1).padStart(3, "0")}`,
      ),
    );
    assert.equal(dataset.cases[8]?.note?.startsWith("Two issues"), true);
    const firstLine = (await Deno.readTextFile(`${root}/${DATASET}`)).split(
      "\n",
    )[0]!;
    assert.deepEqual(dataset.cases[0], JSON.parse(firstLine));
    const task = await getTask(store, TASK);
    const { id, name, ...definition } = task;
    assert.equal(id, contentHash({ name, definition }));
    assert.equal(task.checks.length, 3);
  });
});

Deno.test("loadCatalog() adds a new vN file as the next version", async () => {
  await withLoaded(async (store, root) => {
    const v2 = await Deno.readTextFile(`${root}/${PROMPTS}/v2.yaml`);
    await Deno.writeTextFile(
      `${root}/${PROMPTS}/v3.yaml`,
      v2.replace("max_tokens: 200", "max_tokens: 400").replace(
        /note: .*/,
        "note: Longer answers.",
      ),
    );
    const report = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(report.changed, true);
    assert.deepEqual(
      report.tasks[0]?.new_prompt_versions.map((
        v,
      ) => [v.id, v.version, v.note]),
      [["ticket_triage@v3", 3, "Longer answers."]],
    );
    assert.equal(report.tasks[0]?.dataset_status, "unchanged");
    const versions = await listPromptVersions(store, TASK);
    assert.deepEqual(versions.map((v) => v.version), [1, 2, 3]);
    assert.equal(
      (await getPromptVersion(store, TASK, "v3")).params.max_tokens,
      400,
    );
  });
});

Deno.test("loadCatalog() stores a changed dataset as a new version and keeps the old", async () => {
  await withLoaded(async (store, root) => {
    const old = await getLatestDataset(store, TASK);
    const path = `${root}/${DATASET}`;
    const text = await Deno.readTextFile(path);
    await Deno.writeTextFile(
      path,
      text.replace(
        "I was charged twice this month.",
        "I was charged three times.",
      ),
    );
    const report = await loadCatalog(store, { root, checks: TEST_CHECKS });
    const task = report.tasks[0]!;
    assert.equal(task.dataset_status, "new");
    assert.notEqual(task.dataset_id, old.id);
    assert.deepEqual(task.new_prompt_versions, []);
    const latest = await getLatestDataset(store, TASK);
    assert.equal(latest.id, task.dataset_id);
    assert.equal(latest.cases[0]?.input.message, "I was charged three times.");
    const kept = await getDataset(store, old.id);
    assert.deepEqual(kept, old);
    assert.equal(
      kept.cases[0]?.input.message,
      "I was charged twice this month.",
    );

    // Putting the old file back makes the old version current again, without a copy.
    await Deno.writeTextFile(path, text);
    const reverted = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(reverted.tasks[0]?.dataset_status, "restored");
    assert.equal(reverted.changed, true);
    assert.equal((await getLatestDataset(store, TASK)).id, old.id);
    assert.equal((await countCatalogRows(store)).datasets, 2);
  });
});

Deno.test("loadCatalog() versions a changed task definition and model config, and appends prices", async () => {
  await withLoaded(async (store, root) => {
    const oldTask = await getTask(store, TASK);
    const oldModel = await getModelConfig(store, "fake-fast");
    const taskPath = `${root}/${PROMPTS}/task.yaml`;
    await Deno.writeTextFile(
      taskPath,
      (await Deno.readTextFile(taskPath)).replace(
        "Route a support message",
        "Route one support message",
      ),
    );
    const modelsPath = `${root}/models.yaml`;
    await Deno.writeTextFile(
      modelsPath,
      (await Deno.readTextFile(modelsPath))
        .replace("params: {temperature: 0}", "params: {temperature: 0.5}") +
        [
          "  - provider: fake",
          "    model: fake-fast-1",
          '    input_per_mtok: "0.20"',
          '    output_per_mtok: "0.80"',
          '    valid_from: "2026-06-01"',
          "",
        ].join("\n"),
    );
    const report = await loadCatalog(store, { root, checks: TEST_CHECKS });
    assert.equal(report.tasks[0]?.task_status, "new");
    assert.notEqual(report.tasks[0]?.task_id, oldTask.id);
    assert.deepEqual(report.model_configs.map((m) => [m.id, m.status]), [
      ["fake-fast", "new"],
    ]);
    assert.deepEqual(report.prices.map((p) => p.valid_from), ["2026-06-01"]);

    const task = await getTask(store, TASK);
    assert.equal(
      task.description,
      "Route one support message to a category and a priority.",
    );
    assert.deepEqual(await getTask(store, TASK, { id: oldTask.id }), oldTask);
    const model = await getModelConfig(store, "fake-fast");
    assert.equal(model.params.temperature, 0.5);
    assert.deepEqual(
      await getModelConfig(store, "fake-fast", { sha256: oldModel.sha256 }),
      oldModel,
    );
    const prices = await listPrices(store, "fake", "fake-fast-1");
    assert.deepEqual(prices.map((p) => p.input_per_mtok), ["0.10", "0.20"]);
    assert.equal(prices[0]?.id, contentHash({ ...prices[0], id: undefined }));
  });
});
