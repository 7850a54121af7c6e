// deno-lint-ignore-file no-console
/**
 * The `wb` command-line tool: `deno task wb <command> [options]`.
 *
 * @module
 */
import {
  ConfigError,
  ConflictError,
  NotFoundError,
  StorageError,
  ValidationError,
} from "../errors.ts";
import {
  type Command,
  EXIT,
  EXIT_MEANING,
  type Io,
  UsageError,
} from "./command.ts";
import { type CommandEntry, COMMANDS } from "./commands.ts";

const CONSOLE_IO: Io = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
};

/** File system errors that come from a path given on the command line. */
const FILE_ERRORS = [
  Deno.errors.NotFound,
  Deno.errors.IsADirectory,
  Deno.errors.NotADirectory,
  Deno.errors.PermissionDenied,
  Deno.errors.AlreadyExists,
];

function help(commands: readonly (Command | CommandEntry)[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    "wb: LLM Workbench",
    "",
    "Usage: wb <command> [options]   (every command takes --db URL)",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "wb help <command> shows a command's options. Commands that print data",
    "take --json: one JSON document on stdout, shapes in docs/cli-json.md.",
    "",
    "Exit codes:",
    ...Object.entries(EXIT).flatMap(([key, code]) =>
      wrap(EXIT_MEANING[key as keyof typeof EXIT], 72).map((line, i) =>
        `  ${i === 0 ? code : " "}  ${line}`
      )
    ),
  ].join("\n");
}

/** `text` in lines of at most `width` characters, broken between words. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/**
 * Runs `wb` with the given words and returns its exit code.
 *
 * @param argv The words after `wb`.
 * @param io Where to write (the console by default).
 * @param commands The command table (all commands by default): commands, or
 *   entries that load their command only when it runs.
 */
export async function main(
  argv: string[],
  io: Io = CONSOLE_IO,
  commands: readonly (Command | CommandEntry)[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    const target = commands.find((c) => c.name === rest[0]);
    io.out(target ? target.usage : help(commands));
    return EXIT.ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.err(`wb: unknown command '${name}'\n\n${help(commands)}`);
    return EXIT.usage;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(entry.usage);
    return EXIT.ok;
  }
  const command = "run" in entry ? entry : await entry.load();
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`wb ${name}: ${error.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    if (
      error instanceof ValidationError || error instanceof ConflictError ||
      error instanceof NotFoundError || error instanceof ConfigError ||
      error instanceof StorageError ||
      error instanceof SyntaxError
    ) {
      io.err(`wb ${name}: ${error.message}`);
      return EXIT.usage;
    }
    if (FILE_ERRORS.some((kind) => error instanceof kind)) {
      // A path the user gave that cannot be read or written: the message
      // names it (e.g. "No such file or directory (os error 2): open 'x'").
      io.err(`wb ${name}: ${(error as Error).message}`);
      return EXIT.usage;
    }
    throw error;
  }
}

if (import.meta.main) {
  // `deno task wb` runs in the project's directory; paths on the command
  // line (files, --root, the default database) mean the directory the user
  // ran it from, which deno task passes as INIT_CWD.
  const from = Deno.env.get("INIT_CWD");
  if (from) Deno.chdir(from);
  Deno.exit(await main(Deno.args));
}
