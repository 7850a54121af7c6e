import { sha256Hex } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import { addLabels, parseLabels } from "../scoring/labels.ts";
import { getTask } from "../store/catalog.ts";
import { getCellOutput } from "../store/labels.ts";
import { getRun } from "../store/runs.ts";
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

/** `wb label`. */
export const labelCommand: Command = {
  ...about("label"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      run: { type: "string" },
      case: { type: "string" },
      repetition: { type: "string" },
      labeller: { type: "string" },
      score: { type: "string", multiple: true },
      note: { type: "string" },
      task: { type: "string" },
      file: { type: "string" },
    });
    if (values.file !== undefined) {
      const task = required(values.task, "task");
      const text = await Deno.readTextFile(values.file);
      const lines = parseLabels(text, { file: values.file });
      await using store = await openFromFlag(values.db);
      await getTask(store, task);
      const { labels, inserted } = await addLabels(store, task, lines);
      if (values.json) {
        printJson(io, { task, labels, inserted });
        return EXIT.ok;
      }
      io.out(
        `${labels.length} labels read from ${values.file}: ${inserted} new, ${
          labels.length - inserted
        } stored before`,
      );
      return EXIT.ok;
    }
    const runId = required(values.run, "run");
    const caseId = required(values.case, "case");
    const labeller = required(values.labeller, "labeller");
    const repetition = values.repetition === undefined
      ? 0
      : wholeNumber(values.repetition);
    if (!values.score || values.score.length === 0) {
      throw new UsageError("give at least one --score DIM=1..5");
    }
    await using store = await openFromFlag(values.db);
    const run = await getRun(store, runId);
    const task = await getTask(store, run.task, { id: run.task_id });
    const names = task.rubric.dimensions.map((d) => d.name);
    const scores: Record<string, number> = {};
    for (const pair of values.score) {
      const match = /^([^=]+)=([1-5])$/.exec(pair);
      if (!match) {
        throw new UsageError(
          `--score takes DIM=SCORE with a score from 1 to 5, got '${pair}'`,
        );
      }
      const [, name, score] = match;
      if (!names.includes(name!)) {
        throw new UsageError(
          `'${name}' is not a rubric dimension of ${run.task}: use ${
            names.join(", ")
          }`,
        );
      }
      scores[name!] = Number(score);
    }
    const cell = await getCellOutput(store, run.id, caseId, repetition);
    if (!cell) {
      throw new NotFoundError(
        "cell",
        `${run.id} ${caseId} #${repetition}`,
        "the run has no result for that case and repetition",
      );
    }
    if (cell.output === null) {
      throw new UsageError(
        `${caseId} #${repetition} of ${run.id} has no output to label (its generation failed)`,
      );
    }
    const hash = sha256Hex(cell.output);
    const { labels, inserted } = await addLabels(store, run.task, [{
      "case_id": caseId,
      repetition,
      "output_sha256": hash,
      labeller,
      scores,
      ...(values.note === undefined ? {} : { note: values.note }),
    }]);
    if (values.json) {
      printJson(io, { task: run.task, labels, inserted });
      return EXIT.ok;
    }
    io.out(
      `${inserted === 1 ? "stored" : "already stored"} label ${
        labels[0]!.id
      } for ${run.task} ${caseId} #${repetition}, output ${hash.slice(0, 12)}`,
    );
    return EXIT.ok;
  },
};

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--repetition takes a whole number, got '${value}'`);
  }
  return Number(value);
}
