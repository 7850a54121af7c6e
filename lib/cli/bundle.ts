import { bundle } from "../bundle/bundle.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { readKeyFile } from "./_bundle_files.ts";

/** `wb bundle`. */
export const bundleCommand: Command = {
  ...about("bundle"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      run: { type: "string", multiple: true },
      comparison: { type: "string" },
      trace: { type: "string" },
      output: { type: "string", short: "o" },
      sign: { type: "string" },
      redact: { type: "string", multiple: true },
    }, true);
    if (positionals.length > 0) {
      throw new UsageError(`unexpected '${positionals[0]}'`);
    }
    const path = required(values.output, "output (-o)");
    const runs = values.run ?? [];
    if (
      runs.length === 0 && values.comparison === undefined &&
      values.trace === undefined
    ) {
      throw new UsageError(
        "name what to bundle: --run, --comparison or --trace",
      );
    }
    for (const field of values.redact ?? []) {
      if (!/^(input|expected)(\.[^.\s]+)+$/.test(field)) {
        throw new UsageError(
          `--redact '${field}': name a test case field as input.<field> or expected.<field>`,
        );
      }
    }
    const sign = values.sign === undefined
      ? undefined
      : await readKeyFile(values.sign);
    if (sign !== undefined && sign.d === undefined) {
      throw new UsageError(
        `--sign '${values.sign}' is a public key: pass the private key file`,
      );
    }
    await using store = await openFromFlag(values.db);
    const result = await bundle(store, {
      runs,
      ...(values.comparison === undefined
        ? {}
        : { comparison: values.comparison }),
      ...(values.trace === undefined ? {} : { trace: values.trace }),
      ...(sign === undefined ? {} : { sign }),
      redact: values.redact ?? [],
      to: path,
    });
    if (values.json) {
      printJson(io, {
        file: path,
        sha256: result.sha256,
        bytes: result.bytes,
        counts: result.counts,
        redacted: result.redacted,
        key_id: result.keyId ?? null,
      });
      return EXIT.ok;
    }
    const c = result.counts;
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    io.out(
      `wrote ${path}: ${total} records (${c.runs} runs, ${c.receipts} receipts, ${c.trace_events} events, ${c.artifacts} artifacts), ${result.bytes} bytes${
        result.redacted > 0 ? `, ${result.redacted} records redacted` : ""
      }${result.keyId ? `, signed by ${result.keyId}` : ", unsigned"}`,
    );
    io.out(`sha256 ${result.sha256}`);
    return EXIT.ok;
  },
};
