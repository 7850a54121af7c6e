import { experiment, resumeExperiment } from "../experiment/experiment.ts";
import { autoProgress, SILENT_PROGRESS } from "../experiment/progress.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  openFromFlag,
  parseCommandArgs,
  positiveInt,
  UsageError,
} from "./command.ts";
import { planRuns } from "../experiment/plan_runs.ts";
import { tableLines } from "./_table.ts";
import { listExperimentRuns } from "../store/runs.ts";
import type { CacheMode } from "../experiment/options.ts";
import { importPipeline } from "./_pipeline_module.ts";

const USAGE = `wb experiment: run prompt versions x models over a task's dataset

Usage:
  wb experiment --task T --prompt v1 [--prompt v3 ...] --model fake-fast [--model ...]
                [--judge fake-judge | --jury ID --jury ID ... [--quorum N]]
                [--repetitions 3] [--allow-few-repetitions]
                [--concurrency 8] [--rpm N] [--tpm N] [--timeout-ms 60000] [--retries 4]
                [--cache use|refresh|off] [--case ID ...] [--quiet] [--db URL]
  wb experiment --resume EXP_OR_RUN [--concurrency N] [--rpm N] [--tpm N]
                [--timeout-ms N] [--retries N] [--cache MODE] [--db URL]
  wb experiment --task T --pipeline FILE.ts[#export] [--pipeline ...]
                [--judge fake-judge] [--repetitions 3] [--case ID ...] [...]
  wb experiment --resume EXP_OR_RUN --pipeline FILE.ts[#export] ...
  wb experiment --task T --prompt v1 --model m ... --plan-only [--db URL]

--pipeline runs a module's pipeline (docs/pipelines.md) over the task's cases
x repetitions, one run per pipeline given; a pipeline's run is resumed with
the same pipeline module, unchanged.

--plan-only records the runs (with their settings) without running a cell,
for workers to run: wb worker --run RUN, on this machine or any other
sharing the database.

Every run of an experiment is recorded before its first call, with its
settings (concurrency, rate limits, retries, timeout, cache). --resume
finishes every run of the experiment (given its id, or any of its runs' ids)
with those settings; a setting given with --resume overrides them and is
recorded in the run's trace.

--jury judges with several judge configs: each scores on its own, the
dimension score is the jurors' median, and the jury decides when at least
--quorum jurors scored (default: a majority). See docs/calibration.md.

Ctrl-C stops new calls, lets in-flight ones finish, and leaves the run resumable.`;

/** `wb experiment`. */
export const experimentCommand: Command = {
  name: "experiment",
  summary: "run prompt versions x models over a dataset, recording receipts",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      task: { type: "string" },
      prompt: { type: "string", multiple: true },
      model: { type: "string", multiple: true },
      judge: { type: "string" },
      jury: { type: "string", multiple: true },
      quorum: { type: "string" },
      repetitions: { type: "string" },
      "allow-few-repetitions": { type: "boolean" },
      concurrency: { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      "timeout-ms": { type: "string" },
      retries: { type: "string" },
      cache: { type: "string" },
      case: { type: "string", multiple: true },
      resume: { type: "string" },
      pipeline: { type: "string", multiple: true },
      quiet: { type: "boolean" },
      "plan-only": { type: "boolean" },
    });
    const cache = values.cache as CacheMode | undefined;
    if (cache !== undefined && !["use", "refresh", "off"].includes(cache)) {
      throw new UsageError(`--cache takes use, refresh or off, not '${cache}'`);
    }
    if (values.pipeline?.length && (values.prompt || values.model)) {
      throw new UsageError(
        "a pipeline names its own prompts and models: give --pipeline or --prompt and --model, not both",
      );
    }
    if (
      !values.resume && !(values.task && values.pipeline?.length) &&
      (!values.task || !values.prompt?.length || !values.model?.length)
    ) {
      throw new UsageError(
        "give --task, at least one --prompt and one --model, or --task and --pipeline FILE.ts (or --resume EXP_OR_RUN)",
      );
    }
    if (values.resume) {
      // A resumed experiment keeps what it was planned with.
      const fixed = (
        [
          "task",
          "prompt",
          "model",
          "judge",
          "jury",
          "quorum",
          "repetitions",
          "case",
        ] as const
      ).filter((name) => values[name] !== undefined);
      if (fixed.length > 0) {
        throw new UsageError(
          `--resume continues an experiment with its own ${
            fixed.map((f) => `--${f}`).join(", ")
          }: drop ${
            fixed.length === 1 ? "it" : "them"
          }, or start a new run without --resume`,
        );
      }
    }
    const retries = values.retries === undefined
      ? undefined
      : Number(values.retries);
    if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
      throw new UsageError(
        `--retries takes a whole number, not '${values.retries}'`,
      );
    }
    const rpm = positiveInt(values.rpm, "rpm");
    const tpm = positiveInt(values.tpm, "tpm");
    const timeoutMs = positiveInt(values["timeout-ms"], "timeout-ms");
    const repetitions = positiveInt(values.repetitions, "repetitions");
    const quorum = positiveInt(values.quorum, "quorum");
    if (values.judge && values.jury?.length) {
      throw new UsageError("give --judge or --jury, not both");
    }
    const concurrency = positiveInt(values.concurrency, "concurrency");
    const pipelines = [];
    for (const spec of values.pipeline ?? []) {
      pipelines.push(await importPipeline(spec));
    }
    const controller = new AbortController();
    const onSignal = () => {
      io.err(
        "wb experiment: stopping: no new calls; in-flight calls finish; resume with --resume EXP",
      );
      controller.abort();
    };
    Deno.addSignalListener("SIGINT", onSignal);
    await using store = await openFromFlag(values.db);
    try {
      const limits = rpm || tpm
        ? {
          ...(rpm ? { requestsPerMinute: rpm } : {}),
          ...(tpm ? { tokensPerMinute: tpm } : {}),
        }
        : undefined;
      const runner = {
        ...(concurrency ? { concurrency } : {}),
        ...(limits
          ? { rateLimits: { anthropic: limits, openai: limits, fake: limits } }
          : {}),
        ...(retries !== undefined || timeoutMs
          ? {
            retry: {
              ...(retries === undefined ? {} : { retries }),
              ...(timeoutMs ? { timeoutMs } : {}),
            },
          }
          : {}),
        ...(cache ? { cache } : {}),
        signal: controller.signal,
        progress: values.quiet ? SILENT_PROGRESS : autoProgress(),
        ...(pipelines.length ? { pipeline: pipelines } : {}),
      } as const;
      if (values["plan-only"]) {
        if (values.resume) {
          throw new UsageError("--plan-only plans new runs: drop --resume");
        }
        if (pipelines.length) {
          throw new UsageError(
            "--plan-only plans prompt runs for workers; a pipeline runs in this process: drop --plan-only",
          );
        }
        const planned = await planRuns(store, {
          ...runner,
          task: values.task!,
          prompts: values.prompt!,
          models: values.model!,
          ...(values.judge ? { judge: values.judge } : {}),
          ...(values.jury?.length ? { jury: values.jury } : {}),
          ...(quorum ? { quorum } : {}),
          ...(repetitions ? { repetitions } : {}),
          allowFewerRepetitions: values["allow-few-repetitions"] ?? false,
          ...(values.case ? { cases: values.case } : {}),
        });
        io.out(`experiment ${planned.experiment_id}`);
        for (const run of planned.runs) {
          io.out(
            `planned ${run.id} ${run.prompt_version_id} x ${run.model_config_id}: run it with wb worker --run ${run.id}`,
          );
        }
        return EXIT.ok;
      }
      const result = values.resume
        ? await resumeExperiment(store, values.resume, runner)
        : await experiment(store, {
          ...runner,
          ...(values.task ? { task: values.task } : {}),
          ...(values.prompt ? { prompts: values.prompt } : {}),
          ...(values.model ? { models: values.model } : {}),
          ...(values.judge ? { judge: values.judge } : {}),
          ...(values.jury?.length ? { jury: values.jury } : {}),
          ...(quorum ? { quorum } : {}),
          ...(repetitions ? { repetitions } : {}),
          allowFewerRepetitions: values["allow-few-repetitions"] ?? false,
          ...(values.case ? { cases: values.case } : {}),
        });
      io.out(`experiment ${result.experiment_id}`);
      const table = [
        [
          "run",
          "prompt",
          "model",
          "status",
          "cells",
          "call errors",
          "judge errors",
          "calls",
          "cached",
          "cost (USD)",
        ],
        ...result.runs.map((run) => [
          run.run_id,
          run.prompt_version_id,
          run.model_config_id,
          run.status,
          String(run.cells),
          String(run.failures),
          String(run.judge_errors),
          String(run.adapter_calls),
          String(run.cache_hits),
          run.cost,
        ]),
      ];
      for (const line of tableLines(table)) io.out(line);
      if (result.runs.some((r) => r.resumed > 0)) {
        io.out(
          "errors, calls and cost are this session's; `wb show RUN` gives the whole run",
        );
      }
      // A run whose every call failed (a wrong key, a model name the
      // provider does not know) is a failed job, whatever its status.
      const failed = result.runs.filter((r) =>
        r.committed > 0 && r.failures === r.committed
      );
      for (const run of failed) {
        io.err(
          `every generation call of run ${run.run_id} failed: see the errors with \`wb show ${run.run_id}\``,
        );
      }
      for (const run of result.runs.filter((r) => r.unreceipted_calls > 0)) {
        io.out(
          `run ${run.run_id}: ${run.unreceipted_calls} calls were sent but never receipted (cut short by a cancel or a crash; see docs/ARCHITECTURE.md)`,
        );
      }
      const unfinished = await listExperimentRuns(store, result.experiment_id)
        .then((runs) => runs.filter((r) => r.status !== "completed"));
      if (unfinished.length > 0) {
        io.out(
          `${unfinished.length} run(s) of the experiment are not complete; resume with: wb experiment --resume ${result.experiment_id}`,
        );
      }
      return unfinished.length || failed.length ? EXIT.failed : EXIT.ok;
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  },
};
