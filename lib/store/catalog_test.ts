import assert from "node:assert/strict";
import { eachStore } from "./test_stores.ts";
import { contentHash } from "../content/sha256.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import type { ModelConfig, Price } from "../schema/model.ts";
import type { Task, TaskFile } from "../schema/task.ts";
import {
  type CatalogSnapshot,
  countCatalogRows,
  getDataset,
  getDatasetInfo,
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
  getTask,
  listModelConfigs,
  listPrices,
  listPromptVersions,
  listTasks,
  readCases,
  syncCatalog,
} from "./catalog.ts";

const DEFINITION: TaskFile = {
  "schema_version": 1,
  description: "Echo the text",
  "input_schema": { type: "object" },
  "output_schema": { type: "object" },
  rubric: {
    dimensions: ["a", "b", "c", "d"].map((name) => ({
      name,
      criteria: "c",
      anchors: { good: "g", average: "a", bad: "b" },
    })),
  },
  checks: [],
  "slice_mix": { typical: 1, edge: 0, "known_failure": 0, adversarial: 0 },
};

function task(name: string, definition: TaskFile = DEFINITION): Task {
  return { ...definition, name, id: contentHash({ name, definition }) };
}

function cases(...texts: string[]): Case[] {
  return texts.map((text, i) => ({
    id: `c-${i + 1}`,
    slice: "typical",
    input: { text },
    expected: { text },
  }));
}

function prompt(version: number, template: string) {
  const params = { temperature: 0 };
  return {
    version,
    system: "Echo.",
    template,
    params,
    note: `version ${version}`,
    author: "tests",
    sha256: contentHash({ system: "Echo.", template, params }),
  };
}

function model(temperature: number): ModelConfig & { sha256: string } {
  const config: ModelConfig = {
    id: "fake-fast",
    provider: "fake",
    model: "fast",
    params: { temperature },
    options: {},
  };
  return { ...config, sha256: contentHash(config) };
}

function price(input: string, validFrom: string): Price & { id: string } {
  const row: Price = {
    provider: "fake",
    model: "fast",
    currency: "USD",
    "input_per_mtok": input,
    "output_per_mtok": "1",
    "valid_from": validFrom,
  };
  return { ...row, id: contentHash(row) };
}

function snapshot(
  caseTexts: string[],
  templates: string[],
  extra: Partial<CatalogSnapshot> = {},
): CatalogSnapshot {
  const datasetCases = cases(...caseTexts);
  return {
    tasks: [{
      task: task("echo"),
      prompts: templates.map((t, i) => prompt(i + 1, t)),
      dataset: {
        id: contentHash(datasetCases),
        task: "echo",
        cases: datasetCases,
      },
    }],
    models: [model(0)],
    prices: [price("0.10", "2026-01-01")],
    ...extra,
  };
}

eachStore.test("getPromptVersion() finds a version by number, vN or id and hints at the known ones", async ({ openStore }) => {
  await using store = await openStore();
  await syncCatalog(store, snapshot(["hi"], ["{{text}}", "Say {{text}}"]));
  for (const ref of [2, "2", "v2", "echo@v2"] as const) {
    const version = await getPromptVersion(store, "echo", ref);
    assert.equal(version.id, "echo@v2");
    assert.equal(version.template, "Say {{text}}");
  }
  await assert.rejects(
    () => getPromptVersion(store, "echo", "v7"),
    (error: unknown) =>
      error instanceof NotFoundError &&
      error.message === "prompt version 'v7' not found; echo has v1, v2",
  );
  await assert.rejects(
    () => getPromptVersion(store, "echo", "other@v1"),
    NotFoundError,
  );
  await assert.rejects(
    () => getPromptVersion(store, "nope", 1),
    /prompt version 'nope@v1' not found; no prompt versions stored for task 'nope'; run `wb load` first/,
  );
  assert.deepEqual(
    (await listPromptVersions(store, "echo")).map((v) => v.version),
    [1, 2],
  );
  assert.deepEqual(await listPromptVersions(store, "nope"), []);
});

eachStore.test("getters throw NotFoundError that say to run wb load on an empty store", async ({ openStore }) => {
  await using store = await openStore();
  await assert.rejects(
    () => getTask(store, "echo"),
    /task 'echo' not found; run `wb load` first/,
  );
  await assert.rejects(
    () => getLatestDataset(store, "echo"),
    /dataset of task 'echo' not found; no dataset stored for it; run `wb load` first/,
  );
  await assert.rejects(() => getDataset(store, "abc"), NotFoundError);
  await assert.rejects(
    () => getModelConfig(store, "fake-fast"),
    /model config 'fake-fast' not found; run `wb load` first/,
  );
  assert.deepEqual(await listTasks(store), []);
  assert.deepEqual(await listModelConfigs(store), []);
  assert.deepEqual(await listPrices(store, "fake", "fast"), []);
});

eachStore.test("syncCatalog() keeps dataset, config and price history and reads back domain values", async ({ openStore }) => {
  await using store = await openStore();
  const first = snapshot(["b", "a"], ["{{text}}"]);
  const firstReport = await syncCatalog(store, first);
  assert.equal(firstReport.changed, true);
  const second = snapshot(["b", "a", "c"], ["{{text}}"], {
    models: [model(1)],
    prices: [price("0.10", "2026-01-01"), price("0.20", "2026-03-01")],
  });
  const report = await syncCatalog(store, second);
  assert.equal(report.tasks[0]?.dataset_status, "new");
  assert.deepEqual(report.model_configs.map((m) => m.status), ["new"]);
  assert.deepEqual(report.prices.map((p) => p.input_per_mtok), ["0.20"]);

  const latest = await getLatestDataset(store, "echo");
  assert.deepEqual(latest, second.tasks[0]!.dataset);
  assert.deepEqual(
    (await getDataset(store, first.tasks[0]!.dataset.id)).cases.map((c) =>
      c.input.text
    ),
    ["b", "a"],
  );
  assert.equal(
    (await getModelConfig(store, "fake-fast")).params.temperature,
    1,
  );
  assert.deepEqual(
    (await listModelConfigs(store)).map((m) => m.sha256),
    [model(1).sha256],
  );
  assert.deepEqual(await listPrices(store, "fake", "fast"), [
    price("0.10", "2026-01-01"),
    price("0.20", "2026-03-01"),
  ]);
  assert.deepEqual(await listTasks(store), [task("echo")]);

  // The first config again: made current, not copied.
  const back = await syncCatalog(store, first);
  assert.deepEqual(back.model_configs.map((m) => m.status), ["restored"]);
  assert.equal(back.tasks[0]?.dataset_status, "restored");
  assert.equal(
    (await getModelConfig(store, "fake-fast")).params.temperature,
    0,
  );
  assert.equal((await countCatalogRows(store)).model_configs, 2);
});

eachStore.test("syncCatalog() refuses to rewrite a stored prompt version and writes nothing", async ({ openStore }) => {
  await using store = await openStore();
  await syncCatalog(store, snapshot(["hi"], ["{{text}}", "Say {{text}}"]));
  const before = await countCatalogRows(store);
  await assert.rejects(
    () =>
      syncCatalog(
        store,
        snapshot(["hi", "new case"], [
          "{{text}}!",
          "Say {{text}}",
          "Echo {{text}}",
        ]),
      ),
    (error: unknown) =>
      error instanceof ConflictError &&
      /^Cannot load the catalog: echo v1 already exists with different content; add v4 instead: stored versions are never rewritten, so restore v1\.yaml and save the change as v4\.yaml$/
        .test(error.message),
  );
  assert.deepEqual(await countCatalogRows(store), before);
  assert.equal((await getPromptVersion(store, "echo", 1)).template, "{{text}}");
});

eachStore.test("syncCatalog() refuses a dataset already stored for another task", async ({ openStore }) => {
  await using store = await openStore();
  const echo = snapshot(["hi"], ["{{text}}"]);
  await syncCatalog(store, echo);
  const before = await countCatalogRows(store);
  const item = echo.tasks[0]!;
  await assert.rejects(
    () =>
      syncCatalog(store, {
        ...echo,
        tasks: [{
          task: task("parrot"),
          prompts: item.prompts,
          dataset: { ...item.dataset, task: "parrot" },
        }],
      }),
    /the dataset of parrot has exactly the cases of dataset [0-9a-f]{12} of task echo/,
  );
  assert.deepEqual(await countCatalogRows(store), before);
});

eachStore.test("syncCatalog() reads a dataset source's cases only when the dataset is new, and writes nothing when they fail", async ({ openStore }) => {
  await using store = await openStore();
  const datasetCases = cases("a", "b", "c", "d", "e");
  let reads = 0;
  const source = (fail: boolean) => ({
    id: contentHash(datasetCases),
    task: "echo",
    "case_count": datasetCases.length,
    "slice_counts": { typical: 5, edge: 0, "known_failure": 0, adversarial: 0 },
    async *cases() {
      reads++;
      for (const [i, c] of datasetCases.entries()) {
        if (fail && i === 3) throw new ConflictError("the file changed");
        yield c;
      }
    },
  });
  const base = snapshot(["x"], ["{{text}}"]);
  const withSource = (fail: boolean): CatalogSnapshot => ({
    ...base,
    tasks: [{ ...base.tasks[0]!, dataset: source(fail) }],
  });

  await assert.rejects(
    () => syncCatalog(store, withSource(true)),
    ConflictError,
  );
  assert.equal(reads, 1);
  assert.equal((await countCatalogRows(store)).test_cases, 0);
  assert.equal((await countCatalogRows(store)).datasets, 0);

  const report = await syncCatalog(store, withSource(false));
  assert.equal(report.tasks[0]?.dataset_status, "new");
  assert.equal(report.tasks[0]?.case_count, 5);
  assert.equal(reads, 2);
  const stored = await getLatestDataset(store, "echo");
  assert.deepEqual(stored.cases, datasetCases);
  assert.equal(stored.id, contentHash(datasetCases));

  const again = await syncCatalog(store, withSource(false));
  assert.equal(again.changed, false);
  assert.equal(reads, 2, "a stored dataset's cases are not read");
});

eachStore.test("readCases() reads a dataset's cases a window at a time, all in file order or the keys given in their order", async ({ openStore }) => {
  await using store = await openStore();
  const texts = Array.from({ length: 7 }, (_, i) => `t${i}`);
  const snap = snapshot(texts, ["{{text}}"]);
  await syncCatalog(store, snap);
  const id = snap.tasks[0]!.dataset.id;
  const windows: Case[][] = [];
  for await (const w of readCases(store, id, { window: 3 })) windows.push(w);
  assert.deepEqual(windows.map((w) => w.length), [3, 3, 1]);
  assert.deepEqual(windows.flat(), cases(...texts));
  assert.deepEqual(await getDatasetInfo(store, id), {
    id,
    task: "echo",
    "case_count": 7,
  });

  const keys = ["c-5", "c-1", "c-7", "c-2"];
  const chosen: Case[][] = [];
  for await (const w of readCases(store, id, { keys, window: 2 })) {
    chosen.push(w);
  }
  assert.deepEqual(chosen.map((w) => w.map((c) => c.id)), [
    ["c-5", "c-1"],
    ["c-7", "c-2"],
  ]);

  const read: string[] = [];
  await assert.rejects(
    async () => {
      for await (
        const w of readCases(store, id, { keys: ["c-1", "c-9"], window: 1 })
      ) read.push(...w.map((c) => c.id));
    },
    (error) =>
      error instanceof NotFoundError && error.kind === "case" &&
      error.id === "c-9",
  );
  assert.deepEqual(read, ["c-1"]);
});
