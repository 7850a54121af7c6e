/**
 * A parsed bundle turned into the typed pieces the report shows: runs with
 * their scorecards, results and receipts, case inputs, gates with their
 * decisions, alias moves, workflows and comparisons. Records that do not
 * validate are skipped and listed in `skipped`, so a damaged bundle still
 * renders (with its integrity failure shown first).
 *
 * @module
 */
import { type BundleDocument, wholeReceipts } from "../bundle/format.ts";
import type { Gate, GateDecision } from "../gate/gate.ts";
import { GateSubjectSchema } from "../gate/gate.ts";
import { GatePolicySchema } from "../gate/policy.ts";
import type { AliasMove } from "../gate/promote.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { CellResult } from "../schema/result.ts";
import { type Scorecard, ScorecardSchema } from "../schema/scorecard.ts";
import * as z from "zod";
import { CheckSpecSchema, RubricSchema } from "../schema/task.ts";
import { computeScorecard } from "../scoring/compute_scorecard.ts";
import { PIPELINE_RUN_FLAG } from "../scoring/step_figures.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { withAttemptFailures } from "../store/scores.ts";
import { type Workflow, WorkflowSchema } from "../trace/workflow.ts";
import {
  type ComparisonShown,
  ComparisonShownSchema,
} from "./_comparison_schema.ts";

type Sections = BundleDocument["sections"];

/** A result record's JSON columns, checked before the report reads them. */
const ResultShapeSchema = z.object({
  slice: z.string(),
  status: z.string(),
  output: z.string().nullable(),
  checks: z.record(
    z.string(),
    z.object({ pass: z.boolean(), score: z.number(), detail: z.string() }),
  ),
  rubric: z.record(
    z.string(),
    z.object({
      score: z.number(),
      reasoning: z.string(),
      evidence: z.string().optional(),
    }),
  ).nullable(),
});

/** What scoring needs of a stored task definition. */
const ScoringTaskSchema = z.object({
  rubric: RubricSchema,
  checks: z.array(CheckSpecSchema),
});
/** A run record as a bundle carries it. */
export type BundleRun = Sections["runs"][number];
/** A comparison record as a bundle carries it. */
export type BundleComparison = Sections["comparisons"][number];

/** One run with everything the report shows about it. */
export interface RunView {
  run: BundleRun;
  scorecard: Scorecard | null;
  scorecardSha256: string | null;
  /** Whether the scorecard was computed here from results and receipts (none was in the bundle). */
  computed: boolean;
  results: CellResult[];
  receipts: Receipt[];
  /** The run's trace events, in order (a pipeline's steps and gates are among them). */
  events: TraceEvent[];
  /** `v2 × fake-fast` */
  label: string;
}

/** The bundle as the report sees it. */
export interface BundleModel {
  doc: BundleDocument;
  runs: RunView[];
  comparisons: BundleComparison[];
  gates: Gate[];
  moves: AliasMove[];
  workflows: { sha256: string; workflow: Workflow }[];
  inputs: Map<string, Readonly<Record<string, unknown>>>;
  /** Records that could not be read, as `section 'key': why`. */
  skipped: string[];
}

/** Builds the model of a parsed bundle. */
export function bundleModel(doc: BundleDocument): BundleModel {
  const s = doc.sections;
  const skipped: string[] = [];
  const receiptsByRun = groupBy(
    wholeReceipts(s.receipts) as unknown as Receipt[],
    (r) => r.run_id ?? "",
  );
  const results: CellResult[] = [];
  for (const record of s.results) {
    if (ResultShapeSchema.safeParse(record).success) {
      results.push(record as unknown as CellResult);
    } else skipped.push(`results '${record.id}': checks or rubric not valid`);
  }
  const resultsByRun = groupBy(results, (r) => r.run_id);
  const cards = new Map<string, { sha256: string; card: Scorecard }[]>();
  for (const record of s.scorecards) {
    const parsed = ScorecardSchema.safeParse(record.body);
    if (!parsed.success) {
      skipped.push(`scorecards '${record.sha256}': not a valid scorecard`);
      continue;
    }
    cards.set(record.run_id, [
      ...(cards.get(record.run_id) ?? []),
      { sha256: record.sha256, card: parsed.data },
    ]);
  }
  const comparisons = s.comparisons;
  const wanted = new Set(
    comparisons.flatMap((c) => [
      c.baseline_scorecard_sha256,
      c.candidate_scorecard_sha256,
    ]),
  );
  const tasks = new Map(s.tasks.map((t) => [t.id, t]));
  const runs: RunView[] = s.runs.map((run) => {
    const cells = resultsByRun.get(run.id) ?? [];
    const events = (s.trace_events.filter((e) =>
      e.trace_id === run.trace_id
    ) as TraceEvent[]).toSorted((a, b) =>
      a.index - b.index
    );
    const receipts = withAttemptFailures(
      [...receiptsByRun.get(run.id) ?? []],
      events.map((e) => e.data),
    );
    const pipeline = Array.isArray(run.flags) &&
      run.flags.includes(PIPELINE_RUN_FLAG);
    const stored = cards.get(run.id) ?? [];
    const chosen = stored.find((c) => wanted.has(c.sha256)) ?? stored.at(-1);
    let scorecard = chosen?.card ?? null;
    let computed = false;
    if (!scorecard) {
      const task = ScoringTaskSchema.safeParse(
        tasks.get(run.task_id)?.definition,
      );
      if (task.success && cells.length > 0) {
        try {
          scorecard = computeScorecard({
            task: task.data,
            results: cells,
            receipts,
            run,
            ...(pipeline ? { stepEvents: events } : {}),
          });
          computed = true;
        } catch (error) {
          skipped.push(
            `runs '${run.id}': cannot compute its scorecard: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }
      }
    }
    return {
      run,
      scorecard,
      scorecardSha256: chosen?.sha256 ?? null,
      computed,
      results: cells,
      receipts,
      events,
      label: `${shortVersion(run.prompt_version_id)} × ${run.model_config_id}`,
    };
  });
  const decisions = groupBy(s.gate_decisions, (d) => d.gate_id);
  const gates: Gate[] = [];
  for (const row of s.gates) {
    const subject = GateSubjectSchema.safeParse(row.subject);
    const policy = GatePolicySchema.safeParse(row.policy);
    if (!subject.success || !policy.success) {
      skipped.push(`gates '${row.id}': subject or policy not valid`);
      continue;
    }
    gates.push({
      id: row.id,
      task: subject.data.task,
      alias: subject.data.alias,
      subject: subject.data,
      subject_sha256: row.subject_sha256,
      policy: policy.data,
      requested_by: row.requested_by,
      trace_id: row.trace_id,
      created_at: row.created_at,
      decisions: (decisions.get(row.id) ?? []).map((d): GateDecision => ({
        id: d.id,
        kind: d.kind === "policy" ? "policy" : "human",
        actor: d.actor,
        decision: d.decision === "approve" ? "approve" : "reject",
        reason: d.reason,
        subject_sha256: d.subject_sha256,
        comparison_id: d.comparison_id,
        created_at: d.created_at,
      })).sort((a, b) => a.created_at.localeCompare(b.created_at)),
    });
  }
  const moves: AliasMove[] = [];
  const last = new Map<string, string>();
  for (
    const m of [...s.alias_moves].sort((a, b) =>
      a.created_at.localeCompare(b.created_at)
    )
  ) {
    const key = JSON.stringify([m.task, m.alias]);
    moves.push({ ...m, previous_prompt_version_id: last.get(key) ?? null });
    last.set(key, m.prompt_version_id);
  }
  const workflows: BundleModel["workflows"] = [];
  const seen = new Set<string>();
  for (const w of s.workflows) {
    if (seen.has(w.sha256)) continue;
    const parsed = WorkflowSchema.safeParse(w.snapshot);
    if (!parsed.success) {
      skipped.push(`workflows '${w.trace_id}': not a valid workflow`);
      continue;
    }
    seen.add(w.sha256);
    workflows.push({ sha256: w.sha256, workflow: parsed.data });
  }
  const inputs = new Map<string, Readonly<Record<string, unknown>>>();
  for (const c of s.test_cases) {
    if (c.input && typeof c.input === "object") {
      inputs.set(c.case_key, c.input as Record<string, unknown>);
    }
  }
  return { doc, runs, comparisons, gates, moves, workflows, inputs, skipped };
}

/**
 * The comparison a bundle is about: the one its scope names, else the first
 * readable one. Unreadable bodies are noted in `skipped`.
 */
export function pickComparison(
  model: BundleModel,
): { record: BundleComparison; shown: ComparisonShown } | undefined {
  const scoped = model.doc.scope.comparison;
  const ordered = [
    ...model.comparisons.filter((c) => c.id === scoped),
    ...model.comparisons.filter((c) => c.id !== scoped),
  ];
  for (const record of ordered) {
    const shown = ComparisonShownSchema.safeParse(record.body);
    if (shown.success) return { record, shown: shown.data };
    model.skipped.push(`comparisons '${record.id}': body not readable`);
  }
  return undefined;
}

/** `task@v3` -> `v3`. */
export function shortVersion(id: string): string {
  const at = id.lastIndexOf("@");
  return at === -1 ? id : id.slice(at + 1);
}

function groupBy<T>(
  items: readonly T[],
  key: (item: T) => string,
): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
