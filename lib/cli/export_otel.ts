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
import { openBundleFile } from "./_bundle_files.ts";

const USAGE = `wb export-otel: a bundle's traces as OpenTelemetry spans

Usage:
  wb export-otel FILE -o out.jsonl [--content]

Writes the OTLP/JSON file format (JSON Lines, one {"resourceSpans": [...]}
per trace): an invoke_workflow span per trace, a span per workflow step,
a CLIENT span per model call with the GenAI semantic conventions'
attributes, check and rubric scores as gen_ai.evaluation.result events,
and the call's cost as llm_workbench.cost. Message content (prompts,
outputs, check details) only with --content. The bundle is verified
first; one that does not verify is refused (exit 1) and nothing is written.`;

/** `wb export-otel`. */
export const exportOtelCommand: Command = {
  name: "export-otel",
  summary: "a bundle's traces as OTLP/JSON spans (GenAI conventions)",
  usage: USAGE,
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
