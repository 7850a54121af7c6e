import type { Command } from "./command.ts";
import { type About, about, type CommandName } from "./about.ts";

/**
 * A row of the command table: the help `wb help` prints (from `about.ts`)
 * and how to load the command. The command's module is imported only when
 * the command runs, so each command loads only the code it uses.
 */
export interface CommandEntry extends About {
  /** Imports the command's module and returns the command. */
  load(): Promise<Command>;
}

/** A table row for the command `name`, loaded by `load` when it runs. */
function lazy(name: CommandName, load: () => Promise<Command>): CommandEntry {
  return { ...about(name), load };
}

/**
 * Every `wb` subcommand, one line each. Add a command by writing
 * `lib/cli/<name>.ts`, its help in `about.ts`, and its line here.
 */
export const COMMANDS: readonly CommandEntry[] = [
  lazy("init", async () => (await import("./init.ts")).initCommand),
  lazy("validate", async () => (await import("./validate.ts")).validateCommand),
  lazy("load", async () => (await import("./load.ts")).loadCommand),
  lazy(
    "experiment",
    async () => (await import("./experiment.ts")).experimentCommand,
  ),
  lazy("worker", async () => (await import("./worker.ts")).workerCommand),
  lazy("runs", async () => (await import("./runs.ts")).runsCommand),
  lazy("show", async () => (await import("./show.ts")).showCommand),
  lazy(
    "leaderboard",
    async () => (await import("./leaderboard.ts")).leaderboardCommand,
  ),
  lazy("rescore", async () => (await import("./rescore.ts")).rescoreCommand),
  lazy("compare", async () => (await import("./compare.ts")).compareCommand),
  lazy("summary", async () => (await import("./summary.ts")).summaryCommand),
  lazy("gate", async () => (await import("./gate.ts")).gateCommand),
  lazy("gates", async () => (await import("./gates.ts")).gatesCommand),
  lazy("promote", async () => (await import("./promote.ts")).promoteCommand),
  lazy("bundle", async () => (await import("./bundle.ts")).bundleCommand),
  lazy("verify", async () => (await import("./verify.ts")).verifyCommand),
  lazy("report", async () => (await import("./report.ts")).reportCommand),
  lazy("import", async () => (await import("./import.ts")).importCommand),
  lazy("keygen", async () => (await import("./keygen.ts")).keygenCommand),
  lazy("diff", async () => (await import("./diff.ts")).diffCommand),
  lazy(
    "export-otel",
    async () => (await import("./export_otel.ts")).exportOtelCommand,
  ),
  lazy("replay", async () => (await import("./replay.ts")).replayCommand),
  lazy("rerun", async () => (await import("./rerun.ts")).rerunCommand),
  lazy("label", async () => (await import("./label.ts")).labelCommand),
  lazy("edit", async () => (await import("./edit.ts")).editCommand),
  lazy(
    "calibrate",
    async () => (await import("./calibrate.ts")).calibrateCommand,
  ),
  lazy(
    "score-traces",
    async () => (await import("./score_traces.ts")).scoreTracesCommand,
  ),
  lazy("drift", async () => (await import("./drift.ts")).driftCommand),
  lazy(
    "suggest-cases",
    async () => (await import("./suggest_cases.ts")).suggestCasesCommand,
  ),
  lazy(
    "accept-cases",
    async () => (await import("./accept_cases.ts")).acceptCasesCommand,
  ),
  lazy(
    "history",
    async () => (await import("./history.ts")).historyCommand,
  ),
];
