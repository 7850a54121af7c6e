// deno-lint-ignore-file camelcase -- domain fields are snake_case
import { ValidationError } from "../errors.ts";
import type { Dataset } from "../schema/dataset.ts";
import type { ModelsFile } from "../schema/model.ts";
import type { PromptFile } from "../schema/prompt.ts";
import type { Task } from "../schema/task.ts";
import { inspectCatalog } from "./_inspect.ts";

/** One problem a check's configuration schema reports (a zod issue has this shape). */
export interface CheckConfigIssue {
  /** The kind of problem, e.g. `invalid_type`. */
  readonly code: string;
  /** Where in the configuration. */
  readonly path: readonly PropertyKey[];
  /** What is wrong. */
  readonly message: string;
}

/** What a check's configuration schema must offer (a zod schema does). */
export interface CheckConfigSchema {
  /** Validates a configuration without throwing. */
  safeParse(
    value: unknown,
  ):
    | { readonly success: true }
    | {
      readonly success: false;
      readonly error: { readonly issues: readonly CheckConfigIssue[] };
    };
}

/**
 * The check configurations the catalog validates `task.yaml` checks against:
 * check name -> an object whose `config` is the schema of that check's
 * configuration. The scoring registry (`CHECKS`) has this shape.
 */
export type CheckConfigRegistry = Readonly<
  Record<string, { readonly config: CheckConfigSchema }>
>;

/** Options for {@linkcode readCatalog}. */
export interface ReadCatalogOptions {
  /**
   * The known checks: every check a task names must be in it and its
   * `config` must satisfy the check's schema. `false` validates only the
   * shape of each check entry (for a registry that is not known yet).
   * @default {CHECKS}
   */
  readonly checks?: CheckConfigRegistry | false;
}

/** One prompt file `prompts/<task>/vN.yaml`, parsed. */
export interface CatalogPrompt {
  /** N of `vN.yaml`. */
  readonly version: number;
  /** The file, relative to the catalog root. */
  readonly file: string;
  /** The parsed contents, defaults applied. */
  readonly prompt: PromptFile;
  /** `contentHash({system, template, params})`: the version's content identity. */
  readonly sha256: string;
}

/** One task of the catalog with its prompt versions and dataset. */
export interface CatalogTask {
  /** The task definition; its id is `contentHash({ name, definition })`. */
  readonly task: Task;
  /** `prompts/<task>/task.yaml`, relative to the catalog root. */
  readonly task_file: string;
  /** The prompt versions, v1 first. */
  readonly prompts: readonly CatalogPrompt[];
  /** The dataset; its id is the content hash of its cases in file order. */
  readonly dataset: Dataset;
  /** `datasets/<task>.jsonl`, relative to the catalog root. */
  readonly dataset_file: string;
}

/** A whole catalog read from disk and validated. */
export interface Catalog {
  /** The directory it was read from. */
  readonly root: string;
  /** Every task, sorted by name. */
  readonly tasks: readonly CatalogTask[];
  /** The contents of `models.yaml`, defaults applied. */
  readonly models: ModelsFile;
}

/**
 * Reads and validates a catalog: `prompts/<task>/task.yaml`,
 * `prompts/<task>/vN.yaml`, `datasets/<task>.jsonl` and `models.yaml` under
 * `root`. Every problem is collected (not only the first) and reported in
 * one error whose issues name the file, the line, the field and the fix.
 *
 * Besides each file's schema it checks: unique case ids, prompt versions
 * numbered v1..vN without gaps and with distinct content, every template
 * variable present in every case's input, each case's input against the
 * task's `input_schema`, check names and configs (against `CHECKS` unless
 * `options.checks` says otherwise),
 * and the slice mix (each slice within one case of `slice_mix` x total).
 * A UTF-8 byte order mark is stripped and CRLF line ends are accepted.
 *
 * @param root The catalog directory (the repository root).
 * @param options The check registry to validate checks against.
 * @returns The parsed catalog with content ids computed.
 * @throws {ValidationError} If anything is invalid; its issues list every problem.
 *
 * @example Read a catalog
 * ```ts
 * import { readCatalog, ValidationError } from "@llm-workbench/workbench";
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
 *   "input_schema: {type: object, required: [text]}",
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
 * const catalog = await readCatalog(root);
 * assert.equal(catalog.tasks[0]?.prompts.length, 1);
 * assert.equal(catalog.tasks[0]?.dataset.cases[0]?.id, "e-1");
 *
 * await Deno.writeTextFile(`${root}/datasets/echo.jsonl`, "{not json}\n");
 * await assert.rejects(() => readCatalog(root), ValidationError);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function readCatalog(
  root: string,
  options: ReadCatalogOptions = {},
): Promise<Catalog> {
  const inspection = await inspectCatalog(root, {
    ...options,
    keepCases: true,
  });
  if (inspection.catalog === undefined) {
    throw new ValidationError(inspection.issues);
  }
  const { tasks, models } = inspection.catalog;
  return {
    root,
    tasks: tasks.map((item) => ({
      task: item.task,
      task_file: item.task_file,
      prompts: item.prompts,
      dataset: {
        id: item.dataset.id,
        task: item.task.name,
        cases: item.dataset.cases ?? [],
      },
      dataset_file: item.dataset_file,
    })),
    models,
  };
}
