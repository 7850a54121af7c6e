import { importBundle } from "../bundle/import_bundle.ts";
import { ConflictError, formatIssue, ValidationError } from "../errors.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { openBundleFile, readKeyFile } from "./_bundle_files.ts";

/** `wb import`. */
export const importCommand: Command = {
  ...about("import"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      pubkey: { type: "string" },
      expect: { type: "string" },
    }, true);
    const [path, ...extra] = positionals;
    if (!path) throw new UsageError("missing FILE");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    const pubkey = values.pubkey === undefined
      ? undefined
      : await readKeyFile(values.pubkey);
    await using store = await openFromFlag(values.db);
    using file = await openBundleFile(path);
    try {
      const result = await importBundle(store, file.readable, {
        ...(pubkey === undefined ? {} : { pubkey }),
        ...(values.expect === undefined ? {} : { expect: values.expect }),
      });
      if (values.json) {
        printJson(io, {
          file: path,
          sha256: result.sha256,
          inserted: result.inserted,
          unchanged: result.unchanged,
          differing: result.differing,
          redacted: result.redacted,
        });
        return EXIT.ok;
      }
      const sum = (counts: Readonly<Record<string, number>>) =>
        Object.values(counts).reduce((a, b) => a + b, 0);
      io.out(
        `imported ${path} (sha256 ${result.sha256}): ${
          sum(result.inserted)
        } rows written, ${sum(result.unchanged)} already present${
          result.redacted > 0 ? `, ${result.redacted} redacted records` : ""
        }`,
      );
      for (const [section, n] of Object.entries(result.inserted)) {
        if (n > 0) io.out(`  ${section.padEnd(16)} ${n}`);
      }
      for (const row of result.differing) {
        io.err(
          `  kept ${row.section} '${row.record}': the database's row differs from the bundle's`,
        );
      }
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ValidationError) {
        io.err(`wb import: ${path} does not verify; nothing was written`);
        for (const issue of error.issues) io.err(`  - ${formatIssue(issue)}`);
        return EXIT.failed;
      }
      if (error instanceof ConflictError) {
        io.err(`wb import: ${error.message}`);
        return EXIT.failed;
      }
      throw error;
    }
  },
};
