import type { Command } from "./command.ts";
import { bundleCommand } from "./bundle.ts";
import { calibrateCommand } from "./calibrate.ts";
import { labelCommand } from "./label.ts";
import { diffCommand } from "./diff.ts";
import { editCommand } from "./edit.ts";
import { exportOtelCommand } from "./export_otel.ts";
import { importCommand } from "./import.ts";
import { keygenCommand } from "./keygen.ts";
import { replayCommand } from "./replay.ts";
import { reportCommand } from "./report.ts";
import { rerunCommand } from "./rerun.ts";
import { verifyCommand } from "./verify.ts";
import { compareCommand } from "./compare.ts";
import { experimentCommand } from "./experiment.ts";
import { gateCommand } from "./gate.ts";
import { historyCommand } from "./history.ts";
import { leaderboardCommand } from "./leaderboard.ts";
import { loadCommand } from "./load.ts";
import { promoteCommand } from "./promote.ts";
import { rescoreCommand } from "./rescore.ts";
import { runsCommand } from "./runs.ts";
import { showCommand } from "./show.ts";
import { summaryCommand } from "./summary.ts";
import { validateCommand } from "./validate.ts";
import { workerCommand } from "./worker.ts";

/**
 * Every `wb` subcommand, one line each. Add a command by writing
 * `lib/cli/<name>.ts`, importing it above and listing it here.
 */
export const COMMANDS: readonly Command[] = [
  validateCommand,
  loadCommand,
  experimentCommand,
  workerCommand,
  runsCommand,
  showCommand,
  leaderboardCommand,
  rescoreCommand,
  compareCommand,
  summaryCommand,
  gateCommand,
  promoteCommand,
  bundleCommand,
  verifyCommand,
  reportCommand,
  importCommand,
  keygenCommand,
  diffCommand,
  exportOtelCommand,
  replayCommand,
  rerunCommand,
  labelCommand,
  calibrateCommand,
  editCommand,
  historyCommand,
];
