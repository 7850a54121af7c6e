import { join } from "node:path";
import { contentHash } from "../content/sha256.ts";
import type { Issue } from "../errors.ts";
import { type Case, CaseSchema } from "../schema/dataset.ts";
import { type ModelsFile, ModelsFileSchema } from "../schema/model.ts";
import { PromptFileSchema, templateVariables } from "../schema/prompt.ts";
import {
  type Slice,
  SLICES,
  type Task,
  TaskFileSchema,
} from "../schema/task.ts";
import { isFile, listDir, readCatalogText } from "./_files.ts";
import { formatPath, type Path, quote, zodIssues } from "./_issues.ts";
import { compileJsonSchema } from "./_json_schema.ts";
import { parseYaml, type YamlFile } from "./_yaml.ts";
import type {
  Catalog,
  CatalogPrompt,
  CatalogTask,
  ReadCatalogOptions,
} from "./read_catalog.ts";
import type { SliceDistribution, SliceShare } from "./validate_catalog.ts";

/** Everything found while reading a catalog. */
export interface Inspection {
  /** The catalog, only when there is no issue. */
  readonly catalog: Catalog | undefined;
  /** Every problem, sorted by file then line. */
  readonly issues: Issue[];
  readonly distribution: SliceDistribution[];
}

const TASK_NAME = /^[a-z][a-z0-9_-]*$/;
const VERSION_FILE = /^v([1-9][0-9]*)\.yaml$/;
const MODELS_FILE = "models.yaml";

interface ParsedCase {
  readonly value: Case;
  readonly line: number;
}

interface ParsedPrompt extends CatalogPrompt {
  readonly yaml: YamlFile;
}

interface TaskScan {
  readonly name: string;
  readonly taskFile: string;
  readonly datasetFile: string;
  task: Task | undefined;
  taskYaml: YamlFile | undefined;
  prompts: ParsedPrompt[];
  cases: ParsedCase[] | undefined;
}

/** Reads every catalog file under `root` and collects all issues. */
export async function inspectCatalog(
  root: string,
  options: ReadCatalogOptions,
): Promise<Inspection> {
  const issues: Issue[] = [];
  const distribution: SliceDistribution[] = [];
  const rootEntries = await listDir(root);
  if (rootEntries === undefined) {
    issues.push({
      message: `catalog directory ${
        quote(root)
      } not found: pass the repository root (--root DIR)`,
    });
    return { catalog: undefined, issues, distribution };
  }

  const scans: TaskScan[] = [];
  const promptDirs = await listDir(join(root, "prompts"));
  if (promptDirs === undefined) {
    issues.push({
      file: "prompts/",
      message:
        "directory not found: add prompts/<task>/task.yaml and prompts/<task>/v1.yaml",
    });
  } else {
    for (const entry of promptDirs) {
      if (!entry.isDirectory || entry.name.startsWith(".")) continue;
      scans.push(await scanTask(root, entry.name, options, issues));
    }
    if (scans.length === 0) {
      issues.push({
        file: "prompts/",
        message:
          "no task found: add prompts/<task>/task.yaml and prompts/<task>/v1.yaml",
      });
    }
  }

  const taskNames = new Set(scans.map((s) => s.name));
  for (const entry of (await listDir(join(root, "datasets"))) ?? []) {
    if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
    // `<task>.labels.jsonl` holds human labels (judge calibration), not cases.
    if (entry.name.endsWith(".labels.jsonl")) continue;
    const name = entry.name.slice(0, -".jsonl".length);
    if (!taskNames.has(name)) {
      issues.push({
        file: `datasets/${entry.name}`,
        message:
          `no task '${name}' for this dataset: add prompts/${name}/task.yaml or rename the file to datasets/<task>.jsonl`,
      });
    }
  }

  const models = await scanModels(root, issues);

  for (const scan of scans) {
    if (scan.task && scan.cases) {
      distribution.push(distributionOf(scan.name, scan.task, scan.cases));
    }
  }

  issues.sort(byLocation);
  if (issues.length > 0 || models === undefined) {
    return { catalog: undefined, issues, distribution };
  }
  const tasks: CatalogTask[] = scans.map((scan) => ({
    task: scan.task!,
    task_file: scan.taskFile,
    prompts: scan.prompts.map(({ yaml: _yaml, ...prompt }) => prompt),
    dataset: {
      id: contentHash(scan.cases!.map((c) => c.value)),
      task: scan.name,
      cases: scan.cases!.map((c) => c.value),
    },
    dataset_file: scan.datasetFile,
  }));
  return { catalog: { root, tasks, models }, issues, distribution };
}

function byLocation(a: Issue, b: Issue): number {
  const fa = a.file ?? "";
  const fb = b.file ?? "";
  if (fa !== fb) return fa < fb ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0);
}

async function scanTask(
  root: string,
  name: string,
  options: ReadCatalogOptions,
  issues: Issue[],
): Promise<TaskScan> {
  const dir = `prompts/${name}`;
  const scan: TaskScan = {
    name,
    taskFile: `${dir}/task.yaml`,
    datasetFile: `datasets/${name}.jsonl`,
    task: undefined,
    taskYaml: undefined,
    prompts: [],
    cases: undefined,
  };
  if (!TASK_NAME.test(name)) {
    issues.push({
      file: `${dir}/`,
      message: `task name ${
        quote(name)
      } is not allowed: use lower case letters, digits, _ and - (e.g. resume_matching)`,
    });
  }

  await scanTaskFile(root, scan, issues);
  await scanPrompts(root, scan, issues);
  await scanDataset(root, scan, issues);

  if (scan.task) checkTaskChecks(scan, options, issues);
  if (scan.cases && scan.cases.length > 0) {
    checkTemplateVariables(scan, issues);
    if (scan.task) {
      checkInputs(scan, issues);
      checkSliceMix(scan, issues);
    }
  }
  return scan;
}

async function scanTaskFile(
  root: string,
  scan: TaskScan,
  issues: Issue[],
): Promise<void> {
  const file = scan.taskFile;
  if (!(await isFile(join(root, file)))) {
    issues.push({
      file,
      message:
        "task definition not found: add task.yaml (schema_version, description, input_schema, output_schema, rubric, checks, slice_mix)",
    });
    return;
  }
  const yaml = await readYaml(
    root,
    file,
    "a task definition (schema_version, description, input_schema, output_schema, rubric, checks, slice_mix)",
    issues,
  );
  if (!yaml) return;
  const parsed = TaskFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    issues.push(
      ...zodIssues(parsed.error, yaml.value, { file, lineOf: yaml.lineOf }),
    );
    return;
  }
  const definition = parsed.data;
  let valid = true;
  for (const key of ["input_schema", "output_schema"] as const) {
    const compiled = compileJsonSchema(definition[key]);
    if (!compiled.ok) {
      valid = false;
      issues.push({
        file,
        ...lineField(yaml, [key]),
        message:
          `not a JSON Schema (draft 2020-12) that can be compiled: ${compiled.message}`,
      });
    }
  }
  scan.taskYaml = yaml;
  if (valid) {
    scan.task = {
      ...definition,
      name: scan.name,
      id: contentHash({ name: scan.name, definition }),
    };
  }
}

async function scanPrompts(
  root: string,
  scan: TaskScan,
  issues: Issue[],
): Promise<void> {
  const dir = `prompts/${scan.name}`;
  const entries = (await listDir(join(root, dir))) ?? [];
  const versions: { version: number; file: string }[] = [];
  for (const entry of entries) {
    if (!entry.isFile || entry.name === "task.yaml") continue;
    const match = VERSION_FILE.exec(entry.name);
    if (match) {
      versions.push({
        version: Number(match[1]),
        file: `${dir}/${entry.name}`,
      });
    } else if (/\.ya?ml$/i.test(entry.name)) {
      issues.push({
        file: `${dir}/${entry.name}`,
        message:
          "prompt file name must be vN.yaml (v1.yaml, v2.yaml, ...): rename it to the next free version",
      });
    }
  }
  versions.sort((a, b) => a.version - b.version);
  if (versions.length === 0) {
    issues.push({
      file: `${dir}/`,
      message:
        "no prompt version: add v1.yaml (schema_version, system, template, note)",
    });
    return;
  }
  const present = new Set(versions.map((v) => v.version));
  for (let i = 0; i < versions.length; i++) {
    const { version, file } = versions[i]!;
    const previous = i === 0 ? 0 : versions[i - 1]!.version;
    if (version > previous + 1) {
      const missing = [];
      for (let n = previous + 1; n < version; n++) {
        if (!present.has(n)) missing.push(`v${n}`);
      }
      issues.push({
        file,
        message: `version gap: ${missing.join(", ")} ${
          missing.length === 1 ? "is" : "are"
        } missing; versions run v1, v2, ... without gaps: rename this file to v${
          previous + 1
        }.yaml`,
      });
    }
  }

  const seen = new Map<string, number>();
  for (const { version, file } of versions) {
    const yaml = await readYaml(
      root,
      file,
      "a prompt version (schema_version, system, template, note)",
      issues,
    );
    if (!yaml) continue;
    const parsed = PromptFileSchema.safeParse(yaml.value);
    if (!parsed.success) {
      issues.push(
        ...zodIssues(parsed.error, yaml.value, { file, lineOf: yaml.lineOf }),
      );
      continue;
    }
    const prompt = parsed.data;
    const sha256 = contentHash({
      system: prompt.system,
      template: prompt.template,
      params: prompt.params,
    });
    const twin = seen.get(sha256);
    if (twin !== undefined) {
      issues.push({
        file,
        message:
          `same system, template and params as v${twin}: a new version must change the prompt; edit it or delete this file`,
      });
    } else {
      seen.set(sha256, version);
    }
    scan.prompts.push({ version, file, prompt, sha256, yaml });
  }
}

async function scanDataset(
  root: string,
  scan: TaskScan,
  issues: Issue[],
): Promise<void> {
  const file = scan.datasetFile;
  if (!(await isFile(join(root, file)))) {
    issues.push({
      file,
      message:
        "dataset not found: add it with one JSON case per line ({id, slice, input, expected})",
    });
    return;
  }
  const read = await readCatalogText(root, file);
  if (!read.ok) {
    issues.push(read.issue);
    return;
  }
  const lines = read.text.split("\n");
  const cases: ParsedCase[] = [];
  const firstLineOfId = new Map<string, number>();
  let nonBlank = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    const line = i + 1;
    if (text.trim() === "") continue;
    nonBlank++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error))
        .replace(/ at position \d+ \(line \d+ column (\d+)\)/, " at column $1");
      issues.push({
        file,
        line,
        message: `line is not valid JSON (${
          shorten(reason)
        }): write one JSON object per line`,
      });
      continue;
    }
    const parsed = CaseSchema.safeParse(value);
    if (!parsed.success) {
      issues.push(
        ...zodIssues(parsed.error, value, { file, lineOf: () => line }),
      );
      continue;
    }
    const first = firstLineOfId.get(parsed.data.id);
    if (first !== undefined) {
      issues.push({
        file,
        line,
        field: "id",
        message: `duplicate case id ${
          quote(parsed.data.id)
        } (first on line ${first}): give each case a unique id`,
      });
      continue;
    }
    firstLineOfId.set(parsed.data.id, line);
    cases.push({ value: parsed.data, line });
  }
  if (nonBlank === 0) {
    issues.push({
      file,
      message:
        "dataset is empty: add one JSON case per line ({id, slice, input, expected})",
    });
  }
  scan.cases = cases;
}

function checkTaskChecks(
  scan: TaskScan,
  options: ReadCatalogOptions,
  issues: Issue[],
): void {
  const task = scan.task!;
  const yaml = scan.taskYaml!;
  const file = scan.taskFile;
  const keys = new Map<string, number>();
  task.checks.forEach((spec, i) => {
    const key = spec.id ?? spec.name;
    const first = keys.get(key);
    if (first !== undefined) {
      issues.push({
        file,
        ...lineField(yaml, ["checks", i, spec.id ? "id" : "name"]),
        message: `check key ${
          quote(key)
        } is already used by checks[${first}]: set a distinct id on one of them`,
      });
    } else {
      keys.set(key, i);
    }
    if (!options.checks) return;
    const known = options.checks[spec.name];
    if (!Object.hasOwn(options.checks, spec.name) || !known) {
      issues.push({
        file,
        ...lineField(yaml, ["checks", i, "name"]),
        message: `unknown check ${quote(spec.name)}: use one of ${
          Object.keys(options.checks).sort().join(", ")
        }`,
      });
      return;
    }
    const parsed = known.config.safeParse(spec.config);
    if (!parsed.success) {
      issues.push(
        ...zodIssues(parsed.error, spec.config, {
          file,
          prefix: ["checks", i, "config"],
          lineOf: yaml.lineOf,
        }),
      );
    }
  });
}

function checkTemplateVariables(scan: TaskScan, issues: Issue[]): void {
  const cases = scan.cases!;
  for (const prompt of scan.prompts) {
    for (const field of ["system", "template"] as const) {
      for (const variable of templateVariables(prompt.prompt[field])) {
        const lacking = cases.filter((c) =>
          !Object.hasOwn(c.value.input, variable)
        );
        if (lacking.length === 0) continue;
        const first = lacking[0]!;
        issues.push({
          file: prompt.file,
          ...lineField(prompt.yaml, [field]),
          message:
            `template variable '{{${variable}}}' is not in the input of ${lacking.length} of ${cases.length} cases in ${scan.datasetFile} (first: line ${first.line}, case ${
              quote(first.value.id)
            }): add input.${variable} to the cases or remove it from the ${field}`,
        });
      }
    }
  }
}

function checkInputs(scan: TaskScan, issues: Issue[]): void {
  const compiled = compileJsonSchema(scan.task!.input_schema);
  if (!compiled.ok) return;
  for (const c of scan.cases!) {
    for (const failure of compiled.validate(c.value.input)) {
      issues.push({
        file: scan.datasetFile,
        line: c.line,
        field: formatPath(["input", ...failure.path]),
        message: `${failure.message} (input_schema in ${scan.taskFile})`,
      });
    }
  }
}

function checkSliceMix(scan: TaskScan, issues: Issue[]): void {
  const { slices, total } = distributionOf(scan.name, scan.task!, scan.cases!);
  for (const slice of SLICES) {
    const { count, target } = slices[slice];
    const targetCount = target * total;
    if (Math.abs(count - targetCount) <= 1 + 1e-9) continue;
    issues.push({
      file: scan.datasetFile,
      field: "slice",
      message: `slice '${slice}' has ${count} of ${total} cases (${
        percent(count / total)
      }) but slice_mix in ${scan.taskFile} targets ${percent(target)} (${
        round1(targetCount)
      } ${targetCount === 1 ? "case" : "cases"}): ${
        count < targetCount ? "add" : "remove"
      } '${slice}' cases until the count is within 1 of the target`,
    });
  }
}

function distributionOf(
  name: string,
  task: Task,
  cases: readonly ParsedCase[],
): SliceDistribution {
  const total = cases.length;
  const slices = {} as Record<Slice, SliceShare>;
  for (const slice of SLICES) {
    const count = cases.filter((c) => c.value.slice === slice).length;
    slices[slice] = {
      count,
      share: total === 0 ? 0 : count / total,
      target: task.slice_mix[slice],
    };
  }
  return { task: name, total, slices };
}

async function scanModels(
  root: string,
  issues: Issue[],
): Promise<ModelsFile | undefined> {
  const file = MODELS_FILE;
  if (!(await isFile(join(root, file)))) {
    issues.push({
      file,
      message:
        "model configurations not found: add models.yaml (schema_version: 1, models, prices)",
    });
    return undefined;
  }
  const yaml = await readYaml(
    root,
    file,
    "model configurations (schema_version: 1, models, prices)",
    issues,
  );
  if (!yaml) return undefined;
  const parsed = ModelsFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    issues.push(
      ...zodIssues(parsed.error, yaml.value, { file, lineOf: yaml.lineOf }),
    );
    return undefined;
  }
  const models = parsed.data;
  let valid = true;
  const ids = new Map<string, number>();
  models.models.forEach((model, i) => {
    const first = ids.get(model.id);
    if (first === undefined) {
      ids.set(model.id, i);
      return;
    }
    valid = false;
    issues.push({
      file,
      ...lineField(yaml, ["models", i, "id"]),
      message: `duplicate model id ${
        quote(model.id)
      } (first at models[${first}]): give each model configuration a unique id`,
    });
  });
  const prices = new Map<string, number>();
  const starts = new Map<string, number>();
  models.prices.forEach((price, i) => {
    const hash = contentHash(price);
    const same = prices.get(hash);
    if (same !== undefined) {
      valid = false;
      issues.push({
        file,
        ...lineField(yaml, ["prices", i]),
        message: `duplicate price row (same as prices[${same}]): remove it`,
      });
      return;
    }
    prices.set(hash, i);
    const start =
      `${price.provider}\u0000${price.model}\u0000${price.currency}\u0000${price.valid_from}`;
    const clash = starts.get(start);
    if (clash !== undefined) {
      valid = false;
      issues.push({
        file,
        ...lineField(yaml, ["prices", i, "valid_from"]),
        message:
          `prices[${clash}] already prices ${price.provider}/${price.model} from ${price.valid_from}: a new price needs a later valid_from`,
      });
      return;
    }
    starts.set(start, i);
  });
  return valid ? models : undefined;
}

async function readYaml(
  root: string,
  file: string,
  expected: string,
  issues: Issue[],
): Promise<YamlFile | undefined> {
  const read = await readCatalogText(root, file);
  if (!read.ok) {
    issues.push(read.issue);
    return undefined;
  }
  const parsed = parseYaml(read.text, file, expected);
  if (!parsed.ok) {
    issues.push(...parsed.issues);
    return undefined;
  }
  return parsed.yaml;
}

function lineField(
  yaml: YamlFile,
  path: Path,
): { line?: number; field: string } {
  const line = yaml.lineOf(path);
  return { ...(line === undefined ? {} : { line }), field: formatPath(path) };
}

function percent(share: number): string {
  return `${round1(share * 100)}%`;
}

function round1(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

function shorten(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}
