import { describe, verifyBundle } from "../bundle/verify_bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { openBundleFile, readKeyFile } from "./_bundle_files.ts";

/** `wb verify`. */
export const verifyCommand: Command = {
  ...about("verify"),
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
    using file = await openBundleFile(path);
    const result = await verifyBundle(file.readable, {
      ...(pubkey === undefined ? {} : { pubkey }),
      ...(values.expect === undefined ? {} : { expect: values.expect }),
    });
    if (values.json) {
      printJson(io, {
        file: path,
        ok: result.ok,
        sha256: result.sha256,
        signature: result.signature,
        key_id: result.keyId,
        counts: result.counts,
        redacted: result.redacted,
        summary: result.summary,
        problems: result.problems.map((problem) => ({
          ...problem,
          description: describe(problem),
        })),
      });
      return result.ok ? EXIT.ok : EXIT.failed;
    }
    io.out(`${path}: ${result.summary}`);
    if (result.ok) return EXIT.ok;
    for (const problem of result.problems) io.err(`  - ${describe(problem)}`);
    return EXIT.failed;
  },
};
