import type { Command } from "./command.ts";
import { experimentCommand } from "./experiment.ts";
import { gateCommand } from "./gate.ts";
import { loadCommand } from "./load.ts";
import { promoteCommand } from "./promote.ts";
import { validateCommand } from "./validate.ts";

/**
 * Every `wb` subcommand, one line each. Add a command by writing
 * `lib/cli/<name>.ts`, importing it above and listing it here.
 */
export const COMMANDS: readonly Command[] = [
  validateCommand,
  loadCommand,
  experimentCommand,
  gateCommand,
  promoteCommand,
];
