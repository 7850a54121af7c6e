import { scoreTraces } from "../production/score_traces.ts";
import type { WindowKind } from "../production/windows.ts";
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

/** `wb score-traces`. */
export const scoreTracesCommand: Command = {
  ...about("score-traces"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      window: { type: "string" },
      sample: { type: "string" },
      judge: { type: "string" },
      otlp: { type: "string" },
      ...JSON_OPTION,
    });
    const task = required(values.task, "task");
    const since = required(values.since, "since");
    const window = values.window ?? "day";
    if (window !== "day" && window !== "week") {
      throw new UsageError(`--window takes day or week, not '${window}'`);
    }
    const sample = values.sample === undefined
      ? undefined
      : Number(values.sample);
    if (sample !== undefined && !Number.isFinite(sample)) {
      throw new UsageError(
        `--sample takes a number of calls (200) or a rate (0.1), not '${values.sample}'`,
      );
    }
    const otlp = values.otlp === undefined
      ? undefined
      : await Deno.readTextFile(values.otlp);
    await using store = await openFromFlag(values.db);
    const result = await scoreTraces(store, {
      task,
      since,
      until: values.until,
      window: window as WindowKind,
      sample,
      judge: values.judge,
      otlp,
    });
    if (values.json) {
      printJson(io, result);
      return EXIT.ok;
    }
    io.out(
      `${result.task}: ${result.windows.length} window${
        result.windows.length === 1 ? "" : "s"
      } from ${values.otlp ?? "the store"}`,
    );
    for (const w of result.windows) {
      const slices = Object.entries(w.slices).map(([s, n]) => `${s} ${n}`)
        .join(", ");
      io.out(
        `  ${w.window.id}: run ${w.run_id}, ${w.scored} scored of ${w.calls} calls (${w.invalid.length} invalid input, ${w.sampled_out} left out by sampling, ${w.judged} judged); aggregate ${
          w.aggregate?.toFixed(3) ?? "n/a"
        }; slices: ${slices || "none"}`,
      );
      for (const bad of w.invalid) {
        io.out(
          `    invalid input ${bad.receipt_id}: ${
            bad.issues.map((i) => `${i.field}: ${i.message}`).join("; ")
          }`,
        );
      }
    }
    io.out(
      result.sent_to_judge.length
        ? `left the store (sent to the judge): ${
          result.sent_to_judge.join(", ")
        }${
          result.redacted.length
            ? `; redacted first (sent as sha256): ${result.redacted.join(", ")}`
            : "; nothing redacted (task.yaml production.redact)"
        }`
        : "left the store: nothing (no judge)",
    );
    return EXIT.ok;
  },
};
