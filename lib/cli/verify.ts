import { describe, verifyBundle } from "../bundle/verify_bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  parseCommandArgs,
  UsageError,
} from "./command.ts";
import { openBundleFile, readKeyFile } from "./_bundle_files.ts";

const USAGE = `wb verify: check a bundle offline

Usage:
  wb verify FILE [--pubkey KEYFILE.pub] [--expect SHA256]

Checks strict JSON (duplicate keys refused), the format, every record's
own hash and table-of-contents entry, the event hash chains, references
between sections and the payload sha256. Exit 0 with a one-line summary
when intact; exit 1 naming the section and record of each problem.

Hashes prove the bundle is internally consistent, but whoever edits a
bundle can recompute them. To know who made it, check a signature with
--pubkey (the signer's public key) or compare with a sha256 its author
published out of band with --expect.`;

/** `wb verify`. */
export const verifyCommand: Command = {
  name: "verify",
  summary:
    "check a bundle offline (hashes, chains, signature, expected sha256)",
  usage: USAGE,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
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
    io.out(`${path}: ${result.summary}`);
    if (result.ok) return EXIT.ok;
    for (const problem of result.problems) io.err(`  - ${describe(problem)}`);
    return EXIT.failed;
  },
};
