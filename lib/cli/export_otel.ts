import { exportOtel } from "../bundle/export_otel.ts";
import { verifyBundle } from "../bundle/verify_bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  parseCommandArgs,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { openBundleFile } from "./_bundle_files.ts";

/** `wb export-otel`. */
export const exportOtelCommand: Command = {
  ...about("export-otel"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      output: { type: "string", short: "o" },
      content: { type: "boolean" },
    }, true);
    const [path, ...extra] = positionals;
    if (!path) throw new UsageError("missing FILE");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    const out = required(values.output, "output (-o)");
    // Spans from a bundle that does not verify would carry its errors into
    // whatever reads them: verify first, export only an intact bundle.
    {
      using check = await openBundleFile(path);
      const integrity = await verifyBundle(check.readable);
      if (!integrity.ok) {
        io.err(
          `wb export-otel: ${path} does not verify, nothing written: ${integrity.summary}`,
        );
        return EXIT.failed;
      }
    }
    using file = await openBundleFile(path);
    const result = await exportOtel(file.readable, {
      to: out,
      content: values.content ?? false,
    });
    io.out(
      `wrote ${out}: ${result.traces} traces, ${result.spans} spans${
        values.content ? " (with content)" : ""
      }`,
    );
    return EXIT.ok;
  },
};
