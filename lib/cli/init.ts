import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validateCatalog } from "../catalog/validate_catalog.ts";
import { formatIssue } from "../errors.ts";
import { CHECKS } from "../checks/registry.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  parseCommandArgs,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** The folder of the scaffold's files, beside this module. */
const TEMPLATE = new URL("./_init_template/", import.meta.url);
/** The toolkit's root: its deno.json and deno.lock. */
const TOOLKIT = new URL("../../", import.meta.url);

/** Where each template file goes; `__TASK__` in a path or a file is the task name. */
const FILES: readonly (readonly [string, string])[] = [
  ["task.yaml", "prompts/__TASK__/task.yaml"],
  ["v1.yaml", "prompts/__TASK__/v1.yaml"],
  ["v2.yaml", "prompts/__TASK__/v2.yaml"],
  ["dataset.jsonl", "datasets/__TASK__.jsonl"],
  ["models.yaml", "models.yaml"],
  ["explore.ipynb", "notebooks/explore.ipynb"],
  ["README.md", "README.md"],
];

const GITIGNORE = "*.db\n*.db-wal\n*.db-shm\n*.db-journal\n";

async function readToolkitFile(name: string): Promise<string | undefined> {
  try {
    const response = await fetch(new URL(name, TOOLKIT));
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return await response.text();
  } catch {
    return undefined;
  }
}

async function template(name: string): Promise<string> {
  const response = await fetch(new URL(name, TEMPLATE));
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(
      `Cannot read the scaffold file "${name}" of the toolkit: ${response.status} ${response.statusText}`,
    );
  }
  return await response.text();
}

/** The project's deno.json: the toolkit by name, linked to a local checkout when there is one. */
function projectConfig(
  toolkit: { name: string; version: string },
  link: string | undefined,
): string {
  const permissions =
    "--allow-read --allow-write --allow-env --allow-ffi --allow-net --allow-sys";
  const config = {
    imports: { [toolkit.name]: `jsr:${toolkit.name}@^${toolkit.version}` },
    ...(link ? { links: [link] } : {}),
    tasks: { wb: `deno run ${permissions} ${toolkit.name}/cli` },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The toolkit's lock without its own workspace entry: the npm versions it was tested with. */
function projectLock(lockText: string | undefined): string | undefined {
  if (lockText === undefined) return undefined;
  const lock = JSON.parse(lockText) as Record<string, unknown>;
  delete lock.workspace;
  return `${JSON.stringify(lock, null, 2)}\n`;
}

async function isEmptyDir(path: string): Promise<boolean | undefined> {
  try {
    for await (const _ of Deno.readDir(path)) return false;
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}

/** `wb init`. */
export const initCommand: Command = {
  ...about("init"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
    }, true);
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "missing DIR: the folder to create the project in"
          : `unexpected '${positionals[1]}'`,
      );
    }
    const dir = resolve(positionals[0]!);
    const task = values.task ?? "ticket_triage";
    // The name becomes a folder and file names: the catalog's own check
    // (below) judges the rest, this keeps the files inside DIR meanwhile.
    if (task === "" || basename(task) !== task || task.startsWith(".")) {
      throw new UsageError(
        `--task '${task}' is not a task name: use snake_case, e.g. ticket_triage`,
      );
    }
    const empty = await isEmptyDir(dir);
    if (empty === false) {
      throw new UsageError(
        `'${
          positionals[0]
        }' exists and is not an empty folder: name a new folder`,
      );
    }

    const toolkitConfig = await readToolkitFile("deno.json");
    const toolkit = toolkitConfig === undefined
      ? { name: "@llm-workbench/workbench", version: "0.1.0" }
      : JSON.parse(toolkitConfig) as { name: string; version: string };
    const link = TOOLKIT.protocol === "file:"
      ? fileURLToPath(TOOLKIT).replace(/\/$/, "")
      : undefined;
    const lock = projectLock(await readToolkitFile("deno.lock"));

    // Everything is written to a sibling folder first, checked, and then
    // renamed into place: a bad name or a broken file writes nothing at DIR.
    await Deno.mkdir(dirname(dir), { recursive: true });
    const staging = await Deno.makeTempDir({
      dir: dirname(dir),
      prefix: `.${basename(dir)}.wb-init-`,
    });
    try {
      for (const [from, to] of FILES) {
        const path = join(staging, to.replaceAll("__TASK__", task));
        await Deno.mkdir(dirname(path), { recursive: true });
        await Deno.writeTextFile(
          path,
          (await template(from)).replaceAll("__TASK__", task),
        );
      }
      await Deno.writeTextFile(
        join(staging, "deno.json"),
        projectConfig(toolkit, link),
      );
      if (lock !== undefined) {
        await Deno.writeTextFile(join(staging, "deno.lock"), lock);
      }
      await Deno.writeTextFile(join(staging, ".gitignore"), GITIGNORE);

      const checked = await validateCatalog(staging, { checks: CHECKS });
      if (!checked.ok) {
        for (const issue of checked.issues) io.err(formatIssue(issue));
        throw new UsageError(
          `cannot make a project for task '${task}': the files above would not validate`,
        );
      }
      if (empty === true) await Deno.remove(dir);
      await Deno.rename(staging, dir);
    } catch (error) {
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      throw error;
    }

    const shown = relative(Deno.cwd(), dir) || ".";
    io.out(`made a project for task '${task}' in ${shown}`);
    io.out(
      link
        ? `the toolkit is linked from ${link} (deno.json "links"); remove that entry to use the package from JSR once it is published`
        : `the toolkit comes from JSR as ${toolkit.name}@^${toolkit.version}`,
    );
    if (lock === undefined) {
      io.out(
        "no deno.lock was copied (the toolkit's lock could not be read): dependencies resolve afresh",
      );
    }
    io.out("next:");
    io.out(`  cd ${shown}`);
    io.out("  deno task wb validate");
    io.out("  deno task wb load");
    io.out(
      `  deno task wb experiment --task ${task} --prompt v1 --prompt v2 --model fake-fast --judge fake-judge`,
    );
    io.out("  (then compare, bundle and report: see README.md)");
    return EXIT.ok;
  },
};
