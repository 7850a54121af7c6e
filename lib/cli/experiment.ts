import { experiment, resumeExperiment } from "../experiment/experiment.ts";
import { autoProgress, SILENT_PROGRESS } from "../experiment/progress.ts";
import {
  cacheMode,
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  positiveInt,
  printJson,
  UsageError,
  wholeNumber,
} from "./command.ts";
import { about } from "./about.ts";
import { planRuns } from "../experiment/plan_runs.ts";
import { tableLines } from "./_table.ts";
import { listExperimentRuns } from "../store/runs.ts";
import { importPipeline } from "./_pipeline_module.ts";

/** `wb experiment`. */
export const experimentCommand: Command = {
  ...about("experiment"),
  async run(args, io) {
    const { values } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
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
    const cache = cacheMode(values.cache);
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
    const retries = wholeNumber(values.retries, "retries");
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
        if (values.json) {
          printJson(io, {
            experiment_id: planned.experiment_id,
            runs: planned.runs.map((run) => ({
              run_id: run.id,
              prompt_version_id: run.prompt_version_id,
              model_config_id: run.model_config_id,
              status: run.status,
            })),
          });
          return EXIT.ok;
        }
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
      const unfinished = await listExperimentRuns(store, result.experiment_id)
        .then((runs) => runs.filter((r) => r.status !== "completed"));
      const code = unfinished.length || failed.length ? EXIT.failed : EXIT.ok;
      if (values.json) {
        printJson(io, {
          experiment_id: result.experiment_id,
          runs: result.runs,
          unfinished_runs: unfinished.map((r) => r.id),
        });
        return code;
      }
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
          "attempts",
          "failed attempts (429)",
          "retry wait",
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
          String(run.attempts),
          `${run.failed_attempts} (${run.rate_limited})`,
          `${(run.retry_wait_ms / 1000).toFixed(1)} s`,
          run.cost,
        ]),
      ];
      for (const line of tableLines(table)) io.out(line);
      if (result.runs.some((r) => r.resumed > 0)) {
        io.out(
          "errors, calls and cost are this session's; `wb show RUN` gives the whole run",
        );
      }
      for (const run of result.runs.filter((r) => r.unreceipted_calls > 0)) {
        io.out(
          `run ${run.run_id}: ${run.unreceipted_calls} calls were sent but never receipted (cut short by a cancel or a crash; see docs/ARCHITECTURE.md)`,
        );
      }
      if (unfinished.length > 0) {
        io.out(
          `${unfinished.length} run(s) of the experiment are not complete; resume with: wb experiment --resume ${result.experiment_id}`,
        );
      }
      return code;
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  },
};
