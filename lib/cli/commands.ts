import type { Command } from "./command.ts";

/**
 * Every `wb` subcommand, one line each. Add a command by writing
 * `lib/cli/<name>.ts` and listing it here.
 */
export const COMMANDS: readonly Command[] = [];
