import { loadCatalog } from "../catalog/load_catalog.ts";
import { CHECKS } from "../checks/registry.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb load`. */
export const loadCommand: Command = {
  ...about("load"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      root: { type: "string" },
    });
    await using store = await openFromFlag(values.db);
    const report = await loadCatalog(store, {
      root: values.root ?? ".",
      checks: CHECKS,
    });
    if (values.json) {
      printJson(io, report);
      return EXIT.ok;
    }
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
