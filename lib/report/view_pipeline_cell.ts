import { NotFoundError } from "../errors.ts";
import { cellTimelines } from "../scoring/step_figures.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { html } from "./_html.ts";
import { verdictBanner } from "./_sections.ts";
import { cellTimelineTable } from "./_steps.ts";
import { View } from "./view.ts";

/** Options of {@link viewPipelineCell}. */
export interface ViewPipelineCellOptions {
  /** The cell's final output (its result's `output`), shown as inert text. */
  readonly output?: string | null;
}

/**
 * One cell of a pipeline run for a notebook: its steps in the order they
 * ran, each with its model calls, latency and outcome (and the step's own
 * check where the pipeline defines one), each gate's decision and reason
 * beside its step, and, for a failing cell, the step that owns the failure
 * (the first whose output went wrong). Errors, reasons and output are model
 * or user text: shown escaped.
 *
 * @param events The run's trace events (`listTraceEvents(store, run.trace_id)`).
 * @param cell The case id and repetition (0-based).
 * @param options The cell's final output, to show beside its timeline.
 * @returns The view.
 * @throws {NotFoundError} If no step of that cell is in the events.
 *
 * @example A cell whose classify step owns the failure
 * ```ts
 * import { listTraceEvents, open, Tracer, viewPipelineCell } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, {
 *   schema_version: 1, name: "support",
 *   steps: [{ id: "classify" }, { id: "draft", after: ["classify"] }, { id: "score", after: ["draft"] }],
 * });
 * const cell = { case: "st-001", repetition: 0 };
 * await tracer.emit("step_finished", {
 *   step: "classify", data: { ...cell, receipt_ids: ["io_1"], latency_ms: 12, check: false },
 * });
 * await tracer.emit("step_failed", {
 *   step: "draft", data: { ...cell, receipt_ids: [], latency_ms: 3, error: "<b>bad JSON</b>" },
 * });
 * await tracer.emit("step_finished", {
 *   step: "score", data: { ...cell, status: "ok", owner_step: "classify" },
 * });
 * const view = viewPipelineCell(await listTraceEvents(store, tracer.traceId), cell);
 * assert.match(view.text, /^cell st-001 #0: ok, owned by classify/);
 * assert.match(view.text, /1\. classify ok, 1 call, 12 ms, check fail/);
 * assert.match(view.html, /&lt;b&gt;bad JSON/);
 * ```
 */
export function viewPipelineCell(
  events: readonly TraceEvent[],
  cell: { readonly case: string; readonly repetition: number },
  options: ViewPipelineCellOptions = {},
): View {
  const key = `${cell.case}#${cell.repetition}`;
  const timeline = cellTimelines(events).get(key);
  if (!timeline) {
    throw new NotFoundError(
      "pipeline cell",
      key,
      "pass the run's own trace events (listTraceEvents(store, run.trace_id)) and a case id and repetition it ran",
    );
  }
  const status = timeline.status ?? "not scored";
  const word = timeline.owner !== null
    ? "FAILING"
    : timeline.status === null
    ? "NOT SCORED"
    : "PASSING";
  const reasons = timeline.owner !== null
    ? [
      `owned by step ${timeline.owner}: the first step whose output went wrong`,
    ]
    : [];
  const output = options.output;
  const body = html`${
    verdictBanner(
      word,
      reasons,
      `Cell ${cell.case} repetition ${cell.repetition}: ${status}, ${timeline.entries.length} step(s) and gate(s) in the order they ran`,
    )
  }${cellTimelineTable(timeline)}${
    output === undefined || output === null ? "" : html`
      <h3>Final output</h3>
      <pre>${output.length > 4000
        ? `${output.slice(0, 4000)}… (${output.length} characters)`
        : output}</pre>
    `
  }`;
  const text = [
    `cell ${cell.case} #${cell.repetition}: ${status}${
      timeline.owner === null ? "" : `, owned by ${timeline.owner}`
    }`,
    ...timeline.entries.map((e, i) =>
      `  ${i + 1}. ${e.kind === "gate" ? "gate " : ""}${e.step} ${e.outcome}${
        e.kind === "gate"
          ? ""
          : `, ${e.calls} call${e.calls === 1 ? "" : "s"}${
            e.latencyMs === null ? "" : `, ${e.latencyMs.toFixed(0)} ms`
          }`
      }${e.check === null ? "" : `, check ${e.check ? "pass" : "fail"}`}${
        e.detail === ""
          ? ""
          : `: ${e.detail.replace(/\s+/g, " ").slice(0, 200)}`
      }`
    ),
    ...(timeline.error === null
      ? []
      : [`  the pipeline's code failed: ${timeline.error.slice(0, 200)}`]),
  ].join("\n");
  return new View(body.value, text);
}
