import { join } from "node:path";
import { CHECKS } from "../checks/registry.ts";
import { contentHash } from "../content/sha256.ts";
import type { Issue } from "../errors.ts";
import type { Case } from "../schema/dataset.ts";
import { type ModelsFile, ModelsFileSchema } from "../schema/model.ts";
import { PromptFileSchema, templateVariables } from "../schema/prompt.ts";
import {
  DEFAULT_BOUNDS,
  type Slice,
  SLICES,
  type Task,
  TaskFileSchema,
} from "../schema/task.ts";
import { DatasetHash, duplicateIdIssue, parseCaseLine } from "./_dataset.ts";
import {
  isFile,
  listDir,
  readCatalogLines,
  readCatalogText,
} from "./_files.ts";
import { formatPath, type Path, quote, zodIssues } from "./_issues.ts";
import { type CompiledSchema, compileJsonSchema } from "./_json_schema.ts";
import { parseYaml, type YamlFile } from "./_yaml.ts";
import type { CatalogPrompt, ReadCatalogOptions } from "./read_catalog.ts";
import type { SliceDistribution, SliceShare } from "./validate_catalog.ts";

/** How to inspect a catalog. */
export interface InspectOptions extends ReadCatalogOptions {
  /**
   * Keep every case of each dataset (`readCatalog` returns them). Without
   * it, cases are checked and hashed one line at a time and then dropped.
   */
  readonly keepCases?: boolean;
}

/** A validated dataset: its id, its counts and (when kept) its cases. */
export interface InspectedDataset {
  /** `contentHash(cases)`, the cases in file order. */
  readonly id: string;
  /** How many cases. */
  readonly count: number;
  /** Cases per slice. */
  readonly slices: Readonly<Record<Slice, number>>;
  /** The cases, only with `keepCases`. */
  readonly cases: readonly Case[] | undefined;
}

/** One validated task. */
export interface InspectedTask {
  readonly task: Task;
  readonly task_file: string;
  readonly prompts: readonly CatalogPrompt[];
  readonly dataset: InspectedDataset;
  readonly dataset_file: string;
}

/** A validated catalog. */
export interface InspectedCatalog {
  readonly root: string;
  readonly tasks: readonly InspectedTask[];
  readonly models: ModelsFile;
}

/** Everything found while reading a catalog. */
export interface Inspection {
  /** The catalog, only when there is no issue. */
  readonly catalog: InspectedCatalog | undefined;
  /** Every problem, sorted by file then line. */
  readonly issues: Issue[];
  readonly distribution: SliceDistribution[];
}

const TASK_NAME = /^[a-z][a-z0-9_-]*$/;
const VERSION_FILE = /^v([1-9][0-9]*)\.yaml$/;
const MODELS_FILE = "models.yaml";

/** The first case that lacks a template variable, and how many do. */
interface Lacking {
  count: number;
  readonly line: number;
  readonly id: string;
}

/** What one pass over a dataset file found. */
interface DatasetScan {
  /** Valid cases with unique ids. */
  count: number;
  readonly slices: Record<Slice, number>;
  readonly hash: DatasetHash;
  /** Template variable -> the cases whose input lacks it. */
  readonly lacking: Map<string, Lacking>;
  readonly cases: Case[] | undefined;
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
  /** The compiled `input_schema`, when that part of task.yaml is valid. */
  inputSchema: CompiledSchema | undefined;
  /**
   * The parts of task.yaml that are valid on their own, read even when the
   * file as a whole is not, so one pass reports the problems they reveal
   * (unknown checks, cases against input_schema, the slice mix).
   */
  parts: TaskParts;
  prompts: ParsedPrompt[];
  dataset: DatasetScan | undefined;
}

/** Reads every catalog file under `root` and collects all issues. */
export async function inspectCatalog(
  root: string,
  options: InspectOptions,
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
    if (scan.task && scan.dataset) {
      distribution.push(
        distributionOf(scan.name, scan.task.slice_mix, scan.dataset),
      );
    }
  }

  issues.sort(byLocation);
  if (issues.length > 0 || models === undefined) {
    return { catalog: undefined, issues, distribution };
  }
  const tasks: InspectedTask[] = scans.map((scan) => ({
    task: scan.task!,
    task_file: scan.taskFile,
    prompts: scan.prompts.map(({ yaml: _yaml, ...prompt }) => prompt),
    dataset: {
      id: scan.dataset!.hash.digest(),
      count: scan.dataset!.count,
      slices: scan.dataset!.slices,
      cases: scan.dataset!.cases,
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

/** The parts of a task definition the other checks need. */
interface TaskParts {
  checks?: Task["checks"];
  sliceMix?: Task["slice_mix"];
  bounds?: Task["bounds"];
}

/** The valid parts of a task.yaml whose whole does not parse. */
function salvageParts(value: unknown): { parts: TaskParts; input: unknown } {
  const record = typeof value === "object" && value !== null
    ? value as Record<string, unknown>
    : {};
  const shape = TaskFileSchema.shape;
  const checks = shape.checks.safeParse(record.checks);
  const sliceMix = shape.slice_mix.safeParse(record.slice_mix);
  const bounds = shape.bounds.safeParse(record.bounds);
  const input = shape.input_schema.safeParse(record.input_schema);
  return {
    parts: {
      ...(checks.success ? { checks: checks.data } : {}),
      ...(sliceMix.success ? { sliceMix: sliceMix.data } : {}),
      ...(bounds.success ? { bounds: bounds.data } : {}),
    },
    input: input.success ? input.data : undefined,
  };
}

async function scanTask(
  root: string,
  name: string,
  options: InspectOptions,
  issues: Issue[],
): Promise<TaskScan> {
  const dir = `prompts/${name}`;
  const scan: TaskScan = {
    name,
    taskFile: `${dir}/task.yaml`,
    datasetFile: `datasets/${name}.jsonl`,
    task: undefined,
    taskYaml: undefined,
    inputSchema: undefined,
    parts: {},
    prompts: [],
    dataset: undefined,
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
  // Case inputs are checked against input_schema as each line is read.
  await scanDataset(root, scan, options.keepCases === true, issues);

  if (scan.parts.checks) checkTaskChecks(scan, options, issues);
  if (scan.dataset && scan.dataset.count > 0) {
    checkTemplateVariables(scan, issues);
    if (scan.parts.sliceMix) checkSliceMix(scan, issues);
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
  scan.taskYaml = yaml;
  const parsed = TaskFileSchema.safeParse(yaml.value);
  if (!parsed.success) {
    issues.push(
      ...zodIssues(parsed.error, yaml.value, { file, lineOf: yaml.lineOf }),
    );
    const salvaged = salvageParts(yaml.value);
    scan.parts = salvaged.parts;
    if (salvaged.input !== undefined) {
      const compiled = compileJsonSchema(
        salvaged.input as Record<string, unknown>,
      );
      if (compiled.ok) scan.inputSchema = compiled;
    }
    return;
  }
  scan.parts = {
    checks: parsed.data.checks,
    sliceMix: parsed.data.slice_mix,
    bounds: parsed.data.bounds,
  };
  const definition = parsed.data;
  let valid = true;
  let inputSchema: CompiledSchema | undefined;
  for (const key of ["input_schema", "output_schema"] as const) {
    const compiled = compileJsonSchema(definition[key]);
    if (key === "input_schema") inputSchema = compiled;
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
  scan.inputSchema = inputSchema;
  const properties = definition.output_schema.properties;
  const known = typeof properties === "object" && properties !== null
    ? Object.keys(properties)
    : [];
  (definition.fake?.fields ?? []).forEach((field, i) => {
    if (known.includes(field)) return;
    valid = false;
    issues.push({
      file,
      ...lineField(yaml, ["fake", "fields", i]),
      message: `fake field ${
        quote(field)
      } is not a property of output_schema: use one of ${
        known.join(", ") || "(none: add properties to output_schema)"
      }`,
    });
  });
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

/**
 * Reads `datasets/<task>.jsonl` one line at a time: parses and validates each
 * case, checks ids are unique and inputs match the task's `input_schema`,
 * counts slices and the cases lacking each template variable, and hashes the
 * cases into the dataset id. Cases are kept only when `keepCases` is set.
 */
async function scanDataset(
  root: string,
  scan: TaskScan,
  keepCases: boolean,
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
  const variables = new Set<string>();
  for (const prompt of scan.prompts) {
    for (const field of ["system", "template"] as const) {
      for (const variable of templateVariables(prompt.prompt[field])) {
        variables.add(variable);
      }
    }
  }
  const inputSchema = scan.inputSchema?.ok ? scan.inputSchema : undefined;
  const dataset: DatasetScan = {
    count: 0,
    slices: Object.fromEntries(SLICES.map((s) => [s, 0])) as Record<
      Slice,
      number
    >,
    hash: new DatasetHash(),
    lacking: new Map(),
    cases: keepCases ? [] : undefined,
  };
  const caseBytes = scan.parts.bounds?.case_bytes ??
    DEFAULT_BOUNDS.case_bytes;
  // Issues of this file are held back: bytes that are not UTF-8 replace them all.
  const found: Issue[] = [];
  const firstLineOfId = new Map<string, number>();
  let nonBlank = 0;
  for await (const read of readCatalogLines(root, file)) {
    if (!read.ok) {
      issues.push(read.issue);
      return;
    }
    const { line, text } = read;
    if (text.trim() === "") continue;
    nonBlank++;
    if (overBytes(text, caseBytes)) {
      const bytes = encoder.encode(text).length;
      // Too large to keep reading: a model would be sent all of it.
      const id = /"id"\s*:\s*"([^"]{1,200})"/.exec(text)?.[1];
      found.push({
        file,
        line,
        ...(id === undefined ? {} : { field: "id" }),
        message: `case ${id === undefined ? "" : `${quote(id)} `}is ${
          sizeOf(bytes)
        } of JSON, over the task's limit of ${
          sizeOf(caseBytes)
        }: shorten it, or raise bounds.case_bytes in ${scan.taskFile}`,
      });
      continue;
    }
    const parsed = parseCaseLine(file, line, text);
    if (!parsed.ok) {
      found.push(...parsed.issues);
      continue;
    }
    const value = parsed.value;
    const first = firstLineOfId.get(value.id);
    if (first !== undefined) {
      found.push(duplicateIdIssue(file, line, value.id, first));
      continue;
    }
    firstLineOfId.set(value.id, line);
    dataset.count++;
    dataset.slices[value.slice]++;
    dataset.hash.add(value);
    dataset.cases?.push(value);
    for (const variable of variables) {
      if (Object.hasOwn(value.input, variable)) continue;
      const lacking = dataset.lacking.get(variable);
      if (lacking) lacking.count++;
      else dataset.lacking.set(variable, { count: 1, line, id: value.id });
    }
    if (inputSchema) {
      for (const failure of inputSchema.validate(value.input)) {
        found.push({
          file,
          line,
          field: formatPath(["input", ...failure.path]),
          message: `${failure.message} (input_schema in ${scan.taskFile})`,
        });
      }
    }
  }
  if (nonBlank === 0) {
    found.push({
      file,
      message:
        "dataset is empty: add one JSON case per line ({id, slice, input, expected})",
    });
  }
  issues.push(...found);
  scan.dataset = dataset;
}

const encoder = new TextEncoder();

/**
 * Whether a string's UTF-8 form is longer than `limit` bytes (a UTF-16 unit
 * takes 1 to 3 bytes, so most lines are decided without encoding them).
 */
function overBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return encoder.encode(text).length > limit;
}

/** A byte count for people: 5.0 MiB, 256 KiB, 812 bytes. */
function sizeOf(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

function checkTaskChecks(
  scan: TaskScan,
  options: ReadCatalogOptions,
  issues: Issue[],
): void {
  const checks = scan.parts.checks!;
  const yaml = scan.taskYaml!;
  const file = scan.taskFile;
  const keys = new Map<string, number>();
  checks.forEach((spec, i) => {
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
    const registry = options.checks ?? CHECKS;
    if (registry === false) return;
    const known = registry[spec.name];
    if (!Object.hasOwn(registry, spec.name) || !known) {
      issues.push({
        file,
        ...lineField(yaml, ["checks", i, "name"]),
        message: `unknown check ${quote(spec.name)}: use one of ${
          Object.keys(registry).sort().join(", ")
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
  const dataset = scan.dataset!;
  for (const prompt of scan.prompts) {
    for (const field of ["system", "template"] as const) {
      for (const variable of templateVariables(prompt.prompt[field])) {
        const lacking = dataset.lacking.get(variable);
        if (lacking === undefined) continue;
        issues.push({
          file: prompt.file,
          ...lineField(prompt.yaml, [field]),
          message:
            `template variable '{{${variable}}}' is not in the input of ${lacking.count} of ${dataset.count} cases in ${scan.datasetFile} (first: line ${lacking.line}, case ${
              quote(lacking.id)
            }): add input.${variable} to the cases or remove it from the ${field}`,
        });
      }
    }
  }
}

function checkSliceMix(scan: TaskScan, issues: Issue[]): void {
  const { slices, total } = distributionOf(
    scan.name,
    scan.parts.sliceMix!,
    scan.dataset!,
  );
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
  sliceMix: Task["slice_mix"],
  dataset: DatasetScan,
): SliceDistribution {
  const total = dataset.count;
  const slices = {} as Record<Slice, SliceShare>;
  for (const slice of SLICES) {
    const count = dataset.slices[slice];
    slices[slice] = {
      count,
      share: total === 0 ? 0 : count / total,
      target: sliceMix[slice],
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
