import { scoreCell } from "../scoring/score_cell.ts";
import { getDataset, getTask } from "../store/catalog.ts";
import { getRun } from "../store/runs.ts";
import { getResult, listResults } from "../store/scores.ts";
import { editArtifact, getArtifact } from "../trace/artifacts.ts";
import { correctOutput } from "../trace/correct_output.ts";
import { Tracer } from "../trace/tracer.ts";
import type { Store } from "../store/open.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  positiveInt,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb edit`. */
export const editCommand: Command = {
  ...about("edit"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      artifact: { type: "string" },
      run: { type: "string" },
      case: { type: "string" },
      repetition: { type: "string" },
      result: { type: "string" },
      editor: { type: "string" },
      reason: { type: "string" },
      file: { type: "string" },
      text: { type: "string" },
      ...JSON_OPTION,
    });
    const targets = [values.artifact, values.run, values.result].filter((v) =>
      v !== undefined
    );
    if (targets.length !== 1) {
      throw new UsageError(
        "name one thing to correct: --artifact KEY, --run RUN --case CASE, or --result ID",
      );
    }
    const editor = required(values.editor, "editor");
    const reason = required(values.reason, "reason");
    if ((values.file === undefined) === (values.text === undefined)) {
      throw new UsageError(
        "give the corrected content with --file F or --text T (one of them)",
      );
    }
    const body = values.text ?? await readBody(values.file!);
    await using store = await openFromFlag(values.db);
    if (values.artifact !== undefined) {
      const latest = await getArtifact(store, values.artifact);
      if (latest.trace_id === null) {
        throw new UsageError(
          `artifact '${values.artifact}' belongs to no trace, so an edit has nowhere to be recorded`,
        );
      }
      const tracer = await Tracer.resume(store, latest.trace_id);
      const edited = await editArtifact(tracer, {
        key: values.artifact,
        body,
        editor,
        reason,
      });
      if (values.json) {
        printJson(io, {
          target: "artifact",
          recorded: edited.id !== latest.id,
          artifact: edited,
        });
        return EXIT.ok;
      }
      if (edited.id === latest.id) {
        io.out(
          `${values.artifact} v${latest.version} already has this content: nothing recorded`,
        );
        return EXIT.ok;
      }
      io.out(
        `${values.artifact} v${edited.version} by ${editor} (trace ${latest.trace_id}); v${latest.version} is kept`,
      );
      return EXIT.ok;
    }
    const resultId = values.result ??
      await findCell(
        store,
        values.run!,
        required(values.case, "case"),
        positiveIntOrZero(values.repetition),
      );
    const correction = await correctOutput(store, resultId, {
      body,
      editor,
      reason,
    });
    const checks = await scoreCorrection(store, correction.result_id, body);
    if (values.json) {
      printJson(io, { target: "result", correction, checks });
      return EXIT.ok;
    }
    io.out(
      `corrected result ${correction.result_id} (run ${correction.run_id}, case ${correction.case_key} #${correction.repetition}): ${correction.artifact.key} v${correction.artifact.version} by ${editor}`,
    );
    io.out(
      "the stored output, its scores and the scorecard are unchanged; the correction scored separately:",
    );
    const width = Math.max(5, ...checks.map((c) => c.name.length));
    if (checks.length) io.out(`  ${"check".padEnd(width)}  stored  corrected`);
    const mark = (pass: boolean | null) =>
      pass === null ? "-" : pass ? "pass" : "FAIL";
    for (const c of checks) {
      io.out(
        `  ${c.name.padEnd(width)}  ${mark(c.stored).padEnd(6)}  ${
          mark(c.corrected)
        }`,
      );
    }
    if (correction.patch) {
      for (const line of correction.patch.trimEnd().split("\n")) io.out(line);
    }
    return EXIT.ok;
  },
};

function positiveIntOrZero(value: string | undefined): number {
  if (value === undefined || value === "0") return 0;
  return positiveInt(value, "repetition")!;
}

async function readBody(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read '${path}': ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

async function findCell(
  store: Store,
  runId: string,
  caseKey: string,
  repetition: number,
): Promise<string> {
  const run = await getRun(store, runId);
  const cells = await listResults(store, run.id);
  const cell = cells.find((c) =>
    c.case_key === caseKey && c.repetition === repetition
  );
  if (!cell) {
    const cases = [...new Set(cells.map((c) => c.case_key))];
    throw new UsageError(
      `run '${run.id}' has no cell for case '${caseKey}' repetition ${repetition}: its cases are ${
        cases.slice(0, 10).join(", ")
      }${cases.length > 10 ? ", ..." : ""} (repetitions 0 to ${
        run.repetitions - 1
      })`,
    );
  }
  return cell.id;
}

/** A check's result on the stored output and on the correction (null: not run). */
interface CheckBeside {
  readonly name: string;
  readonly stored: boolean | null;
  readonly corrected: boolean | null;
}

/** The task's checks on the corrected text, beside the stored output's; empty when the case is gone. */
async function scoreCorrection(
  store: Store,
  resultId: string,
  body: string,
): Promise<CheckBeside[]> {
  const { result } = await getResult(store, resultId);
  const run = await getRun(store, result.run_id);
  const task = await getTask(store, run.task, { id: run.task_id });
  const dataset = await getDataset(store, run.dataset_id);
  const testCase = dataset.cases.find((c) => c.id === result.case_key);
  if (!testCase) return [];
  const corrected = scoreCell(task, testCase, body, "ok");
  const names = [
    ...new Set([...Object.keys(result.checks), ...Object.keys(corrected)]),
  ];
  return names.map((name) => ({
    name,
    stored: result.checks[name]?.pass ?? null,
    corrected: corrected[name]?.pass ?? null,
  }));
}
