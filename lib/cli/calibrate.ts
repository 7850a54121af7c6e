import type { AgreementSummary } from "../scoring/agreement.ts";
import { calibrate, type Calibration } from "../scoring/calibrate.ts";
import { addLabels, parseLabels } from "../scoring/labels.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  type Io,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";
import { getModelConfig } from "../store/catalog.ts";
import { parseJuryKey } from "../scoring/jury.ts";

/** `wb calibrate`. */
export const calibrateCommand: Command = {
  ...about("calibrate"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      judge: { type: "string" },
      labels: { type: "string" },
      top: { type: "string" },
      seed: { type: "string" },
      resamples: { type: "string" },
      ...JSON_OPTION,
    });
    const task = required(values.task, "task");
    const judge = required(values.judge, "judge");
    const file = values.labels ?? `datasets/${task}.labels.jsonl`;
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || values.labels) {
        throw error;
      }
    }
    await using store = await openFromFlag(values.db);
    // An unknown judge is an error naming the known ones, not an empty table.
    if (parseJuryKey(judge) === null) await getModelConfig(store, judge);
    let imported = "";
    if (text !== undefined) {
      const { labels, inserted } = await addLabels(
        store,
        task,
        parseLabels(text, { file }),
      );
      imported = ` (${file}: ${labels.length} labels, ${inserted} new)`;
    }
    const result = await calibrate(store, {
      task,
      judge,
      ...option(values.top, "top", (top) => ({ top })),
      ...option(values.seed, "seed", (seed) => ({ seed })),
      ...option(values.resamples, "resamples", (resamples) => ({ resamples })),
    });
    const code = result.matched === 0 ? EXIT.inconclusive : EXIT.ok;
    if (values.json) {
      printJson(io, result);
      return code;
    }
    printCalibration(result, imported, io);
    return code;
  },
};

function option<T>(
  value: string | undefined,
  flag: string,
  wrap: (n: number) => T,
): T | Record<never, never> {
  if (value === undefined) return {};
  if (!/^\d+$/.test(value) || (flag === "resamples" && Number(value) < 1)) {
    throw new UsageError(`--${flag} takes a whole number, got '${value}'`);
  }
  return wrap(Number(value));
}

function fixed(x: number | null, digits = 2, sign = false): string {
  if (x === null) return "-";
  return `${sign && x > 0 ? "+" : ""}${x.toFixed(digits)}`;
}

function ci(i: AgreementSummary["spearman"]): string {
  return i ? `${fixed(i.estimate)} [${fixed(i.low)}, ${fixed(i.high)}]` : "-";
}

/** Prints a calibration as tables (untrusted text kept on one inert line). */
export function printCalibration(
  c: Calibration,
  imported: string,
  io: Io,
): void {
  io.out(
    `judge ${c.judge} on ${c.task}: ${c.matched} of ${c.labels} labels matched to judged outputs${imported}`,
  );
  io.out(
    `95% intervals: percentile bootstrap over labelled outputs, ${c.bootstrap.resamples} resamples, seed ${c.bootstrap.seed}`,
  );
  io.out("");
  const dims = Object.entries(c.dimensions);
  const w = Math.max(9, ...dims.map(([name]) => name.length));
  io.out(
    `${"dimension".padEnd(w)}  ${"n".padStart(3)}  ${
      "spearman rho [95% CI]".padEnd(23)
    }  ${"kendall tau-b [95% CI]".padEnd(23)}  kappa_w  bias   leaning   exact`,
  );
  for (const [name, d] of dims) {
    io.out(
      `${name.padEnd(w)}  ${String(d.n).padStart(3)}  ${
        ci(d.spearman).padEnd(23)
      }  ${ci(d.kendall_tau_b).padEnd(23)}  ${
        fixed(d.weighted_kappa).padStart(7)
      }  ${fixed(d.bias, 2, true).padStart(5)}  ${d.leaning.padEnd(8)}  ${
        d.exact === null ? "-" : `${(d.exact * 100).toFixed(0)}%`
      }`,
    );
  }
  const weak = dims.filter(([, d]) =>
    d.spearman !== null && d.spearman.estimate < 0.5
  );
  if (weak.length > 0) {
    io.out("");
    io.out(
      `weak agreement (rho below 0.5): ${
        weak.map(([n]) => n).join(", ")
      }: do not let a verdict rest on these dimensions alone`,
    );
  }
  for (const [name, d] of dims) {
    io.out("");
    io.out(`${name}: rows = person 1..5, columns = judge 1..5`);
    d.confusion.forEach((row, i) => {
      io.out(`  ${i + 1} | ${row.map((n) => String(n).padStart(3)).join(" ")}`);
    });
    const worst = c.disagreements[name] ?? [];
    for (const x of worst) {
      io.out(
        `  ${x.case_id} #${x.repetition} (${
          x.output_sha256.slice(0, 8)
        }): person ${x.human}, judge ${x.judge}`,
      );
      io.out(`    judge:  ${inert(x.judge_reasoning, 220)}`);
      io.out(
        `    ${x.labeller}: ${inert(x.human_note ?? "(no note)", 220)}`,
      );
    }
  }
  if (c.unknown_dimensions.length > 0) {
    io.out("");
    io.out(
      `ignored label dimensions not in the rubric: ${
        c.unknown_dimensions.join(", ")
      }`,
    );
  }
  if (c.unmatched.length > 0) {
    io.out("");
    io.out(`${c.unmatched.length} labels not matched:`);
    for (const u of c.unmatched) {
      io.out(`  ${u.label_id} ${u.reason}: ${inert(u.detail, 200)}`);
    }
  }
}

/** Untrusted text on one line, without control characters. */
function inert(text: string, max: number): string {
  const line = text.replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]+/gu, " ")
    .trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
