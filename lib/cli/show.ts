import type { CellResult } from "../schema/result.ts";
import type { JudgeCalibration, Scorecard } from "../schema/scorecard.ts";
import { MIN_CASES_FOR_INTERVAL } from "../scoring/small_sample.ts";
import { SLICES } from "../schema/task.ts";
import { cellScore } from "../scoring/cell_score.ts";
import { WEAK_RHO } from "../scoring/judge_calibration.ts";
import { describeAttempts } from "../scoring/attempt_summary.ts";
import { pipelineStepEvents, scoreRun } from "../scoring/score_run.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { getRun } from "../store/runs.ts";
import { listCorrections } from "../trace/list_corrections.ts";
import { listResults } from "../store/scores.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  type Io,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb show`. */
export const showCommand: Command = {
  ...about("show"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      samples: { type: "string" },
      ...JSON_OPTION,
      seed: { type: "string" },
    }, true);
    const [runId, ...extra] = positionals;
    if (!runId) throw new UsageError("missing RUN");
    if (extra.length > 0) throw new UsageError(`unexpected '${extra[0]}'`);
    const samples = count(values.samples, "samples");
    const seed = values.seed === undefined
      ? undefined
      : count(values.seed, "seed");
    await using store = await openFromFlag(values.db);
    const { scorecard, sha256 } = await scoreRun(
      store,
      runId,
      seed === undefined ? {} : { seed },
    );
    if (values.json) {
      printJson(io, { sha256, scorecard });
      return EXIT.ok;
    }
    printScorecard(scorecard, sha256, io);
    const run = await getRun(store, scorecard.run.id);
    if (run.unreceipted_calls > 0) {
      io.out(
        `unreceipted calls  ${run.unreceipted_calls} sent but never receipted (cut short by a cancel or a crash; see docs/ARCHITECTURE.md, "Crash safety")`,
      );
    }
    const corrections = await listCorrections(store, run.id);
    if (corrections.length > 0) {
      io.out(
        `corrections       ${corrections.length} by people (the stored outputs and the figures above are the model's, unchanged):`,
      );
      for (const c of corrections) {
        io.out(
          `  ${c.case_key} #${c.repetition}  v${c.version} by ${
            inert(c.editor, 60)
          } at ${c.at}: ${
            inert(c.reason, 200)
          }  (result ${c.result_id}, receipt ${c.receipt_id})`,
        );
      }
    }
    const events = await pipelineStepEvents(store, run);
    if (events) printOwners(events, io);
    if (samples > 0) {
      printSamples(await listResults(store, scorecard.run.id), samples, io);
    }
    return EXIT.ok;
  },
};

function count(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--${flag} takes a whole number, got '${value}'`);
  }
  return Number(value);
}

function ci(
  interval: { estimate: number; low: number; high: number } | null,
  digits = 3,
): string {
  if (!interval) return "-";
  return `${interval.estimate.toFixed(digits)}  [${
    interval.low.toFixed(digits)
  }, ${interval.high.toFixed(digits)}]`;
}

function pct(rate: number | null): string {
  return rate === null ? "-" : `${(rate * 100).toFixed(1)}%`;
}

function printScorecard(card: Scorecard, sha256: string, io: Io): void {
  const run = card.run;
  io.out(
    `run ${run.id}  ${run.prompt_version_id} x ${run.model_config_id}${
      run.judge_config_id ? `  (judge ${run.judge_config_id})` : "  (no judge)"
    }`,
  );
  io.out(
    `${card.cells} cells: ${card.cases} cases x ${run.repetitions} repetitions   scorecard ${
      sha256.slice(0, 12)
    }`,
  );
  io.out("");
  io.out(
    `aggregate        ${
      ci(card.aggregate)
    }  (0-1, 95% CI, bootstrap over cases)`,
  );
  io.out("");
  io.out("slices           score  [95% CI]          cases");
  const small: string[] = [];
  for (const slice of SLICES) {
    const s = card.slices[slice];
    const estimate = s.score?.estimate ?? s.estimate ?? null;
    if (!s.score && estimate !== null) small.push(slice);
    io.out(
      `  ${slice.padEnd(14)} ${
        s.score
          ? ci(s.score).padEnd(26)
          : estimate !== null
          ? `${estimate.toFixed(3)}  (no interval)`.padEnd(26)
          : "-".padEnd(26)
      } ${s.cases}`,
    );
  }
  if (small.length) {
    io.out(
      `  warning: ${small.join(", ")} ${
        small.length === 1 ? "has" : "have"
      } fewer than ${MIN_CASES_FOR_INTERVAL} cases: no interval about unseen cases, and a verdict limit on ${
        small.length === 1 ? "it" : "them"
      } speaks of these cases only`,
    );
  }
  const dims = Object.entries(card.dimensions);
  if (dims.length > 0) {
    io.out("");
    const w = Math.max(20, ...dims.map(([name]) => name.length));
    io.out(
      `${
        "dimensions (1-5)".padEnd(w + 3)
      }mean  [95% CI]          sigma   judged`,
    );
    for (const [name, d] of dims) {
      io.out(
        `  ${name.padEnd(w)} ${ci(d.mean, 2).padEnd(23)} ${
          d.sigma === null ? "-" : d.sigma.toFixed(2)
        }    ${d.n}`,
      );
    }
  }
  const checks = Object.entries(card.checks);
  if (checks.length > 0) {
    io.out("");
    const w = Math.max(22, ...checks.map(([name]) => name.length));
    io.out(
      `${"checks".padEnd(w + 3)}pass rate  [95% CI]          mean score  n`,
    );
    for (const [name, c] of checks) {
      io.out(
        `  ${name.padEnd(w)} ${pct(c.pass_rate).padStart(9)}  ${
          rateCi(c.interval).padEnd(16)
        }  ${c.mean_score.toFixed(3).padStart(10)}  ${c.n}`,
      );
    }
    io.out(
      "  (rate intervals: Wilson over cases, about unseen cases like these)",
    );
  }
  io.out("");
  io.out(
    `injection success ${pct(card.injection.success_rate)} ${
      rateCi(card.injection.interval)
    } (${card.injection.successes} of ${card.injection.n} adversarial cells)`,
  );
  io.out(
    `failures          ${pct(card.failures.rate)} ${
      rateCi(card.failures.interval)
    } (${card.failures.provider_error} provider errors, ${card.failures.invalid_output} invalid outputs)`,
  );
  if (card.attempts) {
    io.out(`attempts          ${describeAttempts(card.attempts)}`);
  }
  io.out(
    `judge errors      ${
      pct(card.judge.error_rate)
    } (${card.judge.errors} errors, ${card.judge.judged} judged)`,
  );
  if (card.judge.jury) {
    const j = card.judge.jury;
    io.out(
      `jury              ${
        j.jurors.join(", ")
      } (median score, quorum ${j.quorum}; ${j.juror_errors} judged cells lost a juror)`,
    );
    for (const [name, d] of Object.entries(j.dimensions)) {
      io.out(
        `  ${name.padEnd(18)} Krippendorff's alpha ${
          d.alpha === null ? "-" : d.alpha.toFixed(2)
        } over ${d.units} cells`,
      );
    }
  }
  if (card.judge.calibration) printCalibration(card.judge.calibration, io);
  io.out(
    `variance          mean per-case SD ${
      card.variance.mean_case_sd === null
        ? "-"
        : card.variance.mean_case_sd.toFixed(3)
    } over ${card.variance.cases} cases`,
  );
  for (const [purpose, l] of Object.entries(card.latency_ms)) {
    io.out(
      `latency ${purpose.padEnd(10)} ${
        l
          ? `mean ${l.mean.toFixed(0)} ms, p50 ${l.p50.toFixed(0)} ms ${
            msCi(l.p50_interval)
          }, p95 ${l.p95.toFixed(0)} ms ${
            msCi(l.p95_interval)
          } (${l.n} live calls)`
          : "-"
      }`,
    );
  }
  for (const [purpose, t] of Object.entries(card.tokens)) {
    io.out(
      `tokens ${purpose.padEnd(11)} ${t.input} in, ${t.output} out${
        t.missing_usage > 0 ? ` (${t.missing_usage} calls without usage)` : ""
      }`,
    );
  }
  const c = card.cost;
  const unit = c.currency ?? "";
  if (card.steps) printSteps(card.steps, unit, io);
  io.out(
    `cost              generation ${c.generation}, judge ${c.judge}, total ${c.total} ${unit}`,
  );
  io.out(
    `cost uncached     generation ${c.uncached_generation}, judge ${c.uncached_judge}, total ${c.uncached_total} ${unit}${
      c.missing_cost > 0 ? `  (${c.missing_cost} calls without a cost)` : ""
    }`,
  );
  if (c.per_cell) {
    io.out(
      `cost per cell     ${c.per_cell.estimate} ${unit} [${c.per_cell.low}, ${c.per_cell.high}] (95% CI, bootstrap over cases)`,
    );
  }
}

function rateCi(
  interval: { low: number; high: number } | null | undefined,
): string {
  return interval ? `[${pct(interval.low)}, ${pct(interval.high)}]` : "";
}

function msCi(interval: { low: number; high: number } | undefined): string {
  return interval
    ? `[${interval.low.toFixed(0)}, ${interval.high.toFixed(0)}]`
    : "";
}

/** A pipeline's steps: what each did over the run's cells. */
function printSteps(
  steps: NonNullable<Scorecard["steps"]>,
  unit: string,
  io: Io,
): void {
  io.out("");
  io.out(
    `steps (a pipeline)  cells  failed  refused  owns failing  calls  cost ${unit} (uncached)  p95 ms  gate approved/held/rejected`,
  );
  for (const [step, f] of Object.entries(steps)) {
    io.out(
      `  ${step.padEnd(17)} ${String(f.cells).padStart(5)}  ${
        String(f.failures).padStart(6)
      }  ${String(f.refused).padStart(7)}  ${String(f.owned).padStart(12)}  ${
        String(f.calls).padStart(5)
      }  ${`${f.cost} (${f.uncached_cost})`.padEnd(24)}  ${
        f.latency_ms ? f.latency_ms.p95.toFixed(0).padStart(6) : "     -"
      }  ${
        f.gate ? `${f.gate.approved}/${f.gate.pending}/${f.gate.rejected}` : ""
      }`,
    );
  }
}

/** Failing cells of a pipeline's run, each with the first step that went wrong. */
function printOwners(events: readonly TraceEvent[], io: Io, max = 10): void {
  const why = new Map<string, string>();
  const thrown = new Map<string, string>();
  for (const e of events) {
    if (e.type === "pipeline_failed") {
      thrown.set(
        `${e.data.case}#${e.data.repetition}`,
        `the pipeline's code failed after it: ${
          inert(String(e.data.error ?? ""), 160)
        }`,
      );
    }
    if (e.step === null) continue;
    const key = `${e.data.case}#${e.data.repetition}#${e.step}`;
    if (e.type === "step_failed") {
      why.set(key, `failed: ${inert(String(e.data.error ?? ""), 160)}`);
    } else if (e.type === "step_finished" && e.data.check === false) {
      why.set(key, "its output failed the step's check");
    }
  }
  const owned = events.filter((e) =>
    e.step === "score" && e.type === "step_finished" &&
    typeof e.data.owner_step === "string"
  );
  if (owned.length === 0) return;
  io.out("");
  io.out(
    `failing cells, by the first step that went wrong (${owned.length}; ${
      Math.min(max, owned.length)
    } shown)`,
  );
  for (const e of owned.slice(0, max)) {
    const step = String(e.data.owner_step);
    io.out(
      `  ${e.data.case} #${e.data.repetition}  ${
        String(e.data.status).padEnd(14)
      } ${step}: ${
        why.get(`${e.data.case}#${e.data.repetition}#${step}`) ??
          thrown.get(`${e.data.case}#${e.data.repetition}`) ??
          "the final step: the cell's output failed a check"
      }`,
    );
  }
}

function fixed(x: number | null, digits = 2): string {
  return x === null ? "-" : x.toFixed(digits);
}

function printCalibration(c: JudgeCalibration, io: Io): void {
  io.out(
    `judge calibration ${c.judge} against ${c.matched} of ${c.labels} human labels`,
  );
  const dims = Object.entries(c.dimensions);
  const w = Math.max(18, ...dims.map(([name]) => name.length));
  io.out(`  ${"".padEnd(w)}   rho  tau-b  kappa   bias    n`);
  for (const [name, d] of dims) {
    io.out(
      `  ${name.padEnd(w)} ${fixed(d.rho).padStart(5)} ${
        fixed(d.tau_b).padStart(6)
      } ${fixed(d.kappa).padStart(6)} ${
        d.bias === null
          ? "-".padStart(6)
          : `${d.bias >= 0 ? "+" : ""}${d.bias.toFixed(2)}`.padStart(6)
      } ${String(d.n).padStart(4)}${
        d.rho !== null && d.rho < WEAK_RHO ? "  weak agreement" : ""
      }`,
    );
  }
}

/** Judged cells first, then the rest; each spread over slices in turn. */
function pickSamples(cells: readonly CellResult[], n: number): CellResult[] {
  const picked: CellResult[] = [];
  for (const judged of [true, false]) {
    const queues = SLICES.map((slice) =>
      cells.filter((c) => c.slice === slice && (c.rubric !== null) === judged)
    );
    while (picked.length < n && queues.some((q) => q.length > 0)) {
      for (const queue of queues) {
        const next = queue.shift();
        if (next && picked.length < n) picked.push(next);
      }
    }
  }
  return picked;
}

function printSamples(cells: readonly CellResult[], n: number, io: Io): void {
  const picked = pickSamples(cells, n);
  picked.forEach((cell, i) => {
    const score = cellScore(cell);
    io.out("");
    io.out(
      `sample ${
        i + 1
      }: ${cell.case_key} #${cell.repetition} (${cell.slice})  status ${cell.status}  score ${
        score === null ? "-" : score.toFixed(3)
      }`,
    );
    io.out(`  output: ${inert(cell.output ?? "(no output)", 240)}`);
    if (cell.rubric) {
      for (const [name, d] of Object.entries(cell.rubric)) {
        io.out(`  ${name} ${d.score}/5: ${inert(d.reasoning, 400)}`);
        if (d.evidence !== undefined) {
          io.out(`    evidence: ${inert(d.evidence, 200)}`);
        }
      }
    } else {
      io.out(
        `  not judged${
          cell.judge_error ? `: ${inert(cell.judge_error, 300)}` : ""
        }`,
      );
    }
    for (const [name, c] of Object.entries(cell.checks)) {
      if (!c.pass) io.out(`  check ${name} failed: ${inert(c.detail, 200)}`);
    }
  });
}

/** Untrusted text on one line, without control characters (no terminal escapes). */
function inert(text: string, max: number): string {
  const line = text.replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]+/gu, " ")
    .trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
