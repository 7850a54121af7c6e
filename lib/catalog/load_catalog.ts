import { contentHash } from "../content/sha256.ts";
import { ValidationError } from "../errors.ts";
import {
  type LoadCatalogReport,
  type LoadModelConfigReport,
  type LoadStatus,
  type LoadTaskReport,
  syncCatalog,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { readValidatedCases } from "./_dataset.ts";
import { inspectCatalog } from "./_inspect.ts";
import type { ReadCatalogOptions } from "./read_catalog.ts";

export type {
  LoadCatalogReport,
  LoadModelConfigReport,
  LoadStatus,
  LoadTaskReport,
};

/** Options for {@linkcode loadCatalog}. */
export interface LoadCatalogOptions extends ReadCatalogOptions {
  /**
   * The catalog directory (the repository root).
   * @default {"."}
   */
  readonly root?: string;
}

/**
 * Validates the catalog under `options.root` and syncs it into the store in
 * one transaction. When anything is invalid or conflicts, nothing is written.
 *
 * - Task definitions are identified by `contentHash({ name, definition })`.
 * - A prompt file `vN.yaml` not yet stored becomes `<task>@vN`; a stored
 *   version with the same content changes nothing; a stored version whose
 *   file now differs is refused (history is never rewritten: add a new
 *   version instead).
 * - A dataset is identified by the content hash of its cases in file order:
 *   a changed file is a new dataset version and the old one stays for the
 *   runs that used it.
 * - Model configs are stored by id and sha256; price rows by content hash,
 *   only new rows are added.
 *
 * Loading content that was stored before (a reverted dataset, say) makes
 * that stored version current again (`restored`) without copying it.
 *
 * @param store The open store.
 * @param options The catalog root and the check registry.
 * @returns What was added or made current; `changed: false` when nothing was.
 * @throws {ValidationError} If any catalog file is invalid (nothing is written).
 * @throws {ConflictError} If a stored prompt version's file was edited in place (nothing is written).
 *
 * @example Load twice: the second load adds nothing
 * ```ts
 * import { getLatestDataset, loadCatalog, open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/prompts/echo`, { recursive: true });
 * await Deno.mkdir(`${root}/datasets`);
 * const dimension = (name: string) =>
 *   `  - {name: ${name}, criteria: c, anchors: {good: g, average: a, bad: b}}`;
 * await Deno.writeTextFile(`${root}/prompts/echo/task.yaml`, [
 *   "schema_version: 1",
 *   "description: Repeat the text",
 *   "input_schema: {type: object}",
 *   "output_schema: {type: object}",
 *   "rubric:",
 *   "  dimensions:",
 *   ...["a", "b", "c", "d"].map(dimension),
 *   "slice_mix: {typical: 1, edge: 0, known_failure: 0, adversarial: 0}",
 * ].join("\n"));
 * await Deno.writeTextFile(
 *   `${root}/prompts/echo/v1.yaml`,
 *   "schema_version: 1\nsystem: Repeat.\ntemplate: '{{text}}'\nnote: first\n",
 * );
 * await Deno.writeTextFile(
 *   `${root}/datasets/echo.jsonl`,
 *   '{"id": "e-1", "slice": "typical", "input": {"text": "hi"}}\n',
 * );
 * await Deno.writeTextFile(
 *   `${root}/models.yaml`,
 *   "schema_version: 1\nmodels:\n  - {id: fake-fast, provider: fake, model: fast}\n",
 * );
 *
 * await using store = await open(":memory:");
 * const first = await loadCatalog(store, { root });
 * assert.equal(first.tasks[0]?.new_prompt_versions[0]?.id, "echo@v1");
 * assert.equal(first.tasks[0]?.dataset_status, "new");
 * const second = await loadCatalog(store, { root });
 * assert.equal(second.changed, false);
 * assert.equal((await getLatestDataset(store, "echo")).cases.length, 1);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadCatalog(
  store: Store,
  options: LoadCatalogOptions = {},
): Promise<LoadCatalogReport> {
  const root = options.root ?? ".";
  // The same checks as readCatalog, but each dataset is validated and hashed
  // one line at a time and not kept: its cases are read again, a batch at a
  // time, only when the store does not hold that dataset version yet.
  const inspection = await inspectCatalog(
    root,
    options.checks === undefined ? {} : { checks: options.checks },
  );
  const catalog = inspection.catalog;
  if (catalog === undefined) throw new ValidationError(inspection.issues);
  return await syncCatalog(store, {
    tasks: catalog.tasks.map((item) => ({
      task: item.task,
      prompts: item.prompts.map(({ version, prompt, sha256 }) => ({
        version,
        system: prompt.system,
        template: prompt.template,
        params: prompt.params,
        note: prompt.note,
        author: prompt.author,
        sha256,
      })),
      dataset: {
        id: item.dataset.id,
        task: item.task.name,
        case_count: item.dataset.count,
        slice_counts: item.dataset.slices,
        cases: () =>
          readValidatedCases(root, item.dataset_file, item.dataset.id),
      },
    })),
    models: catalog.models.models.map((config) => ({
      ...config,
      sha256: contentHash(config),
    })),
    prices: catalog.models.prices.map((price) => ({
      ...price,
      id: contentHash(price),
    })),
  });
}
