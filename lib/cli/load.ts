import { loadCatalog } from "../catalog/load_catalog.ts";
import { CHECKS } from "../checks/registry.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
} from "./command.ts";

const USAGE = `wb load: validate the catalog and store new versions

Usage:
  wb load [--root DIR] [--db URL]

Validates prompts/, datasets/ and models.yaml under --root (default: the
working directory) and, when all is valid, stores in one transaction the
task definitions, new prompt versions, dataset versions, model configs and
new price rows. A prompt file edited after it was loaded is refused: add a
new vN.yaml instead. Prints what was added, or "no new versions".`;

/** `wb load`. */
export const loadCommand: Command = {
  name: "load",
  summary: "validate prompts/, datasets/, models.yaml and store new versions",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      root: { type: "string" },
    });
    await using store = await openFromFlag(values.db);
    const report = await loadCatalog(store, {
      root: values.root ?? ".",
      checks: CHECKS,
    });
    if (!report.changed) {
      io.out("no new versions");
      return EXIT.ok;
    }
    for (const task of report.tasks) {
      if (task.task_status !== "unchanged") {
        io.out(
          `${task.task}: task definition ${
            task.task_id.slice(0, 12)
          } (${task.task_status})`,
        );
      }
      if (task.new_prompt_versions.length > 0) {
        io.out(
          `${task.task}: prompt versions added: ${
            task.new_prompt_versions.map((v) => `v${v.version}`).join(", ")
          }`,
        );
      }
      if (task.dataset_status !== "unchanged") {
        io.out(
          `${task.task}: dataset ${
            task.dataset_id.slice(0, 12)
          } (${task.dataset_status}, ${task.case_count} cases)`,
        );
      }
    }
    for (const config of report.model_configs) {
      io.out(
        `model config ${config.id} ${
          config.sha256.slice(0, 12)
        } (${config.status})`,
      );
    }
    for (const price of report.prices) {
      io.out(
        `price ${price.provider}/${price.model} from ${price.valid_from}: ${price.input_per_mtok} in, ${price.output_per_mtok} out per 1M tokens (${price.currency})`,
      );
    }
    return EXIT.ok;
  },
};
