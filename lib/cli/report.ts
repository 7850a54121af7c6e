import { basename } from "node:path";
import { renderReport } from "../report/render_report.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  parseCommandArgs,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { readKeyFile } from "./_bundle_files.ts";

/** `wb report`. */
export const reportCommand: Command = {
  ...about("report"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      output: { type: "string", short: "o" },
      expect: { type: "string" },
      pubkey: { type: "string" },
      samples: { type: "string" },
    }, true);
    const [path, ...extra] = positionals;
    if (!path) throw new UsageError("missing FILE");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    if (!values.output) throw new UsageError("missing -o REPORT.html");
    const samples = values.samples === undefined
      ? undefined
      : Number(values.samples);
    if (
      samples !== undefined && (!Number.isInteger(samples) || samples < 0)
    ) {
      throw new UsageError(
        `--samples must be a whole number, not '${values.samples}'`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw new UsageError(
        `cannot read bundle '${path}': ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
    const pubkey = values.pubkey === undefined
      ? undefined
      : await readKeyFile(values.pubkey);
    const { html, integrity } = await renderReport(bytes, {
      file: basename(path),
      ...(pubkey === undefined
        ? {}
        : { pubkey, pubkeyFile: basename(values.pubkey!) }),
      ...(values.expect === undefined ? {} : { expect: values.expect }),
      ...(samples === undefined ? {} : { samples }),
    });
    await Deno.writeTextFile(values.output, html);
    io.out(`${values.output}: report of ${path} (${integrity.summary})`);
    return integrity.ok ? EXIT.ok : EXIT.failed;
  },
};
