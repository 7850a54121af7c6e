import { sha256Hex } from "../content/sha256.ts";
import type { BundleRecord } from "../store/bundle.ts";
import meta from "../../deno.json" with { type: "json" };
import { loadBundle } from "./_load.ts";
import type { BundleSource } from "./verify_bundle.ts";

/** Options for {@linkcode exportOtel}. */
export interface ExportOtelOptions {
  /**
   * Include message content: system instructions, input and output
   * messages, check details and judge reasoning. Off by default, as the
   * GenAI conventions make content opt-in.
   * @default {false}
   */
  content?: boolean;
  /** Write the JSON Lines to this file path or stream; returned as `text` when absent. */
  to?: string | WritableStream<Uint8Array>;
}

/** What {@linkcode exportOtel} wrote. */
export interface ExportOtelResult {
  /** The JSON Lines, when no `to` was given. */
  readonly text: string | undefined;
  /** Traces written (one line each). */
  readonly traces: number;
  /** Spans written. */
  readonly spans: number;
}

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

interface KeyValue {
  key: string;
  value: AnyValue;
}

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events: { timeUnixNano: string; name: string; attributes: KeyValue[] }[];
  status: { code: number; message?: string };
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;

/** Event data keys shown without `content`: ids, hashes and small facts. */
const SAFE_DATA =
  /(_id|_ids|sha256|^status|^verdict|^decision|^version|^key|^kind|^model|^provider|^case_key|^repetition|^cached|^workflow|^actor)$/;

function attr(key: string, value: unknown, double = false): KeyValue | null {
  if (value === null || value === undefined) return null;
  return { key, value: anyValue(value, double) };
}

function anyValue(value: unknown, double = false): AnyValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") {
    return Number.isInteger(value) && !double
      ? { intValue: String(value) }
      : { doubleValue: value };
  }
  if (Array.isArray(value)) {
    return { arrayValue: { values: value.map((v) => anyValue(v, double)) } };
  }
  return { stringValue: JSON.stringify(value) };
}

function attrs(...items: (KeyValue | null)[]): KeyValue[] {
  return items.filter((i): i is KeyValue => i !== null);
}

function nanos(iso: string, minusMs = 0): string {
  const ms = Date.parse(iso);
  const ns = BigInt(ms) * 1_000_000n - BigInt(Math.round(minusMs * 1e6));
  return (ns < 0n ? 0n : ns).toString();
}

function spanId(seed: string): string {
  return sha256Hex(`span:${seed}`).slice(0, 16);
}

function textParts(content: unknown): { type: "text"; content: string }[] {
  if (typeof content === "string") return [{ type: "text", content }];
  if (Array.isArray(content)) {
    return content.flatMap((part) => {
      const p = part as Record<string, unknown>;
      return typeof p?.["text"] === "string"
        ? [{ type: "text" as const, content: p["text"] as string }]
        : [];
    });
  }
  return [];
}

/**
 * Exports a bundle's traces as OpenTelemetry spans in the OTLP/JSON file
 * format (JSON Lines, one `{"resourceSpans": [...]}` per trace): an
 * `invoke_workflow` span at the root of each trace, a span per workflow
 * step, and a CLIENT span per model call with the GenAI semantic
 * conventions' attributes (`gen_ai.operation.name`, `gen_ai.provider.name`,
 * `gen_ai.request.*`, `gen_ai.response.*`, `gen_ai.usage.*`, `error.type`),
 * the call's cost as `llm_workbench.cost`, the catalog task a recorded
 * production call serves as `llm_workbench.task` (its input as
 * `llm_workbench.input`, with content), and its check and rubric scores
 * as `gen_ai.evaluation.result` events. Message content only with
 * `content: true`. Ids are derived from the bundle's ids, so exporting the
 * same bundle twice gives the same spans.
 *
 * @param source The bundle's text, bytes or byte stream.
 * @param options Content, and where to write.
 * @returns The JSON Lines (when not written elsewhere) and counts.
 *
 * @example One trace, one line
 * ```ts
 * import { bundle, exportOtel, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "bot", steps: [{ id: "answer" }] });
 * await tracer.emit("step_finished", { step: "answer" });
 * const { text } = await bundle(store, { trace: tracer.traceId });
 * const otel = await exportOtel(text!);
 * const line = JSON.parse(otel.text!.trim());
 * const spans = line.resourceSpans[0].scopeSpans[0].spans;
 * assert.equal(spans[0].name, "invoke_workflow bot");
 * assert.equal(spans[0].traceId.length, 32);
 * ```
 */
export async function exportOtel(
  source: BundleSource,
  options: ExportOtelOptions = {},
): Promise<ExportOtelResult> {
  const { sections, verification } = await loadBundle(source);
  const content = options.content ?? false;
  const runsByTrace = new Map<string, Set<string>>();
  for (const run of sections.runs) {
    const set = runsByTrace.get(run.trace_id as string) ?? new Set();
    set.add(run.id as string);
    runsByTrace.set(run.trace_id as string, set);
  }
  const resultsByReceipt = new Map<string, BundleRecord[]>();
  for (const result of sections.results) {
    const id = result.generation_io_id as string | null;
    if (id) {
      resultsByReceipt.set(id, [...(resultsByReceipt.get(id) ?? []), result]);
    }
  }
  const lines: string[] = [];
  let spanCount = 0;
  for (const workflow of sections.workflows) {
    const traceKey = workflow.trace_id as string;
    const traceId = sha256Hex(`trace:${traceKey}`).slice(0, 32);
    const events = sections.trace_events.filter((e) => e.trace_id === traceKey);
    const runs = runsByTrace.get(traceKey) ?? new Set<string>();
    const receipts = sections.receipts.filter((r) =>
      r.trace_id === traceKey ||
      (r.run_id !== null && runs.has(r.run_id as string))
    );
    const rootId = spanId(traceKey);
    const stepOfReceipt = new Map<string, string>();
    const taskOfReceipt = new Map<string, { task: unknown; input: unknown }>();
    for (const event of events) {
      const data = event.data as Record<string, unknown>;
      if (
        event.type === "model_call" && typeof data["receipt_id"] === "string" &&
        typeof data["task"] === "string"
      ) {
        taskOfReceipt.set(data["receipt_id"], {
          task: data["task"],
          input: data["input"],
        });
      }
      const ids = [
        data["receipt_id"],
        ...(Array.isArray(data["receipt_ids"]) ? data["receipt_ids"] : []),
      ];
      for (const id of ids) {
        if (typeof id === "string" && event.step) {
          stepOfReceipt.set(id, event.step as string);
        }
      }
    }
    const spans: Span[] = [];
    // Model calls.
    const callSpans: Span[] = receipts.map((receipt) => {
      const step = stepOfReceipt.get(receipt.id as string);
      const span = clientSpan(
        receipt,
        traceId,
        step ? spanId(`${traceKey}/step/${step}`) : rootId,
        content,
      );
      const served = taskOfReceipt.get(receipt.id as string);
      if (served) {
        span.attributes.push(
          ...attrs(
            attr("llm_workbench.task", served.task),
            content && served.input !== undefined
              ? attr("llm_workbench.input", JSON.stringify(served.input))
              : null,
          ),
        );
      }
      for (const result of resultsByReceipt.get(receipt.id as string) ?? []) {
        span.events.push(...evaluationEvents(result, receipt, content));
      }
      return span;
    });
    // Steps.
    const snapshot = workflow.snapshot as {
      steps?: { id: string; after?: string[] }[];
    };
    const stepSpans: Span[] = [];
    for (const step of snapshot.steps ?? []) {
      const own = events.filter((e) => e.step === step.id);
      const calls = callSpans.filter((s) =>
        s.parentSpanId === spanId(`${traceKey}/step/${step.id}`)
      );
      if (own.length === 0 && calls.length === 0) continue;
      const times = [
        ...own.map((e) => nanos(e.at as string)),
        ...calls.flatMap((c) => [c.startTimeUnixNano, c.endTimeUnixNano]),
      ].map(BigInt);
      const failed = own.some((e) => e.type === "step_failed") ||
        calls.some((c) => c.status.code === STATUS_ERROR);
      stepSpans.push({
        traceId,
        spanId: spanId(`${traceKey}/step/${step.id}`),
        parentSpanId: rootId,
        name: step.id,
        kind: SPAN_KIND_INTERNAL,
        startTimeUnixNano: min(times).toString(),
        endTimeUnixNano: max(times).toString(),
        attributes: attrs(
          attr("llm_workbench.step", step.id),
          attr("llm_workbench.step.after", step.after ?? []),
        ),
        events: own.map((e) => traceEvent(e, content)),
        status: failed ? { code: STATUS_ERROR } : { code: STATUS_UNSET },
      });
    }
    const loose = events.filter((e) => e.step === null);
    const allTimes = [
      ...events.map((e) => BigInt(nanos(e.at as string))),
      ...callSpans.flatMap((
        c,
      ) => [BigInt(c.startTimeUnixNano), BigInt(c.endTimeUnixNano)]),
      BigInt(nanos(workflow.created_at as string)),
    ];
    spans.push({
      traceId,
      spanId: rootId,
      name: `invoke_workflow ${workflow.name}`,
      kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: min(allTimes).toString(),
      endTimeUnixNano: max(allTimes).toString(),
      attributes: attrs(
        attr("gen_ai.operation.name", "invoke_workflow"),
        attr("gen_ai.workflow.name", workflow.name),
        attr("llm_workbench.trace_id", traceKey),
        attr("llm_workbench.workflow.sha256", workflow.sha256),
        attr("llm_workbench.run_ids", [...runs]),
      ),
      events: loose.map((e) => traceEvent(e, content)),
      status: stepSpans.some((s) => s.status.code === STATUS_ERROR)
        ? { code: STATUS_ERROR }
        : { code: STATUS_UNSET },
    });
    spans.push(...stepSpans, ...callSpans);
    spanCount += spans.length;
    lines.push(JSON.stringify({
      resourceSpans: [{
        resource: {
          attributes: attrs(
            attr("service.name", "llm-workbench"),
            attr("llm_workbench.bundle.sha256", verification.sha256),
          ),
        },
        scopeSpans: [{
          scope: { name: meta.name, version: meta.version },
          spans,
        }],
      }],
    }));
  }
  const text = lines.map((l) => `${l}\n`).join("");
  if (options.to !== undefined) {
    const bytes = new TextEncoder().encode(text);
    if (typeof options.to === "string") await Deno.writeFile(options.to, bytes);
    else {
      const writer = options.to.getWriter();
      await writer.write(bytes);
      await writer.close();
    }
  }
  return {
    text: options.to === undefined ? text : undefined,
    traces: lines.length,
    spans: spanCount,
  };
}

function min(values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

function max(values: bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a));
}

function traceEvent(
  event: BundleRecord,
  content: boolean,
): { timeUnixNano: string; name: string; attributes: KeyValue[] } {
  const data = event.data as Record<string, unknown>;
  const shown = Object.entries(data).filter(([key, value]) =>
    (content || SAFE_DATA.test(key)) && value !== null &&
    (typeof value !== "object" ||
      Array.isArray(value) && value.every((v) => typeof v !== "object"))
  );
  return {
    timeUnixNano: nanos(event.at as string),
    name: event.type as string,
    attributes: attrs(
      attr("llm_workbench.event.index", event.index),
      attr("llm_workbench.event.hash", event.hash),
      ...shown.map(([key, value]) => attr(`llm_workbench.data.${key}`, value)),
    ),
  };
}

function clientSpan(
  receipt: BundleRecord,
  traceId: string,
  parent: string,
  content: boolean,
): Span {
  const request = (receipt.request ?? {}) as Record<string, unknown>;
  const params = (request["params"] ?? {}) as Record<string, unknown>;
  const response = receipt.response as Record<string, unknown> | null;
  const usage = receipt.usage as Record<string, number | null> | null;
  const error = receipt.error as { kind?: string; message?: string } | null;
  const end = nanos(receipt.created_at as string);
  const start = nanos(
    receipt.created_at as string,
    receipt.latency_ms as number,
  );
  const stop = params["stop"] ?? params["stop_sequences"];
  const messages = Array.isArray(request["messages"])
    ? request["messages"]
    : [];
  const contentAttrs = content
    ? [
      request["system"] === undefined ? null : attr(
        "gen_ai.system_instructions",
        JSON.stringify(textParts(request["system"])),
      ),
      attr(
        "gen_ai.input.messages",
        JSON.stringify(messages.map((m) => {
          const message = m as Record<string, unknown>;
          return {
            role: message["role"],
            parts: textParts(message["content"]),
          };
        })),
      ),
      receipt.text === null ? null : attr(
        "gen_ai.output.messages",
        JSON.stringify([{
          role: "assistant",
          parts: [{ type: "text", content: receipt.text }],
          finish_reason: receipt.stop_reason ?? "",
        }]),
      ),
    ]
    : [];
  return {
    traceId,
    spanId: spanId(receipt.id as string),
    parentSpanId: parent,
    name: `chat ${receipt.model}`,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: attrs(
      attr("gen_ai.operation.name", "chat"),
      attr("gen_ai.provider.name", receipt.provider),
      attr("gen_ai.request.model", receipt.model),
      attr("gen_ai.request.max_tokens", params["max_tokens"]),
      attr("gen_ai.request.temperature", params["temperature"], true),
      attr("gen_ai.request.top_p", params["top_p"], true),
      attr("gen_ai.request.top_k", params["top_k"], true),
      attr("gen_ai.request.seed", params["seed"]),
      attr(
        "gen_ai.request.frequency_penalty",
        params["frequency_penalty"],
        true,
      ),
      attr("gen_ai.request.presence_penalty", params["presence_penalty"], true),
      attr(
        "gen_ai.request.stop_sequences",
        Array.isArray(stop) ? stop : stop === undefined ? null : [stop],
      ),
      attr("gen_ai.response.id", receipt.provider_response_id),
      attr("gen_ai.response.model", response?.["model"]),
      attr(
        "gen_ai.response.finish_reasons",
        receipt.stop_reason === null ? null : [receipt.stop_reason],
      ),
      attr("gen_ai.usage.input_tokens", usage?.["input_tokens"]),
      attr("gen_ai.usage.output_tokens", usage?.["output_tokens"]),
      attr(
        "gen_ai.usage.cache_read.input_tokens",
        usage?.["cache_read_tokens"],
      ),
      attr(
        "gen_ai.usage.cache_creation.input_tokens",
        usage?.["cache_write_tokens"],
      ),
      error === null ? null : attr("error.type", error.kind ?? "_OTHER"),
      attr("llm_workbench.cost", receipt.cost),
      attr("llm_workbench.cost.currency", receipt.currency),
      attr("llm_workbench.cost.uncached", receipt.uncached_cost),
      attr("llm_workbench.receipt.id", receipt.id),
      attr("llm_workbench.receipt.sha256", receipt.sha256),
      attr("llm_workbench.purpose", receipt.purpose),
      attr("llm_workbench.attempts", receipt.attempts),
      attr("llm_workbench.cached_from", receipt.cached_from),
      attr("llm_workbench.run_id", receipt.run_id),
      ...contentAttrs,
    ),
    events: [],
    status: error === null ? { code: STATUS_UNSET } : {
      code: STATUS_ERROR,
      ...(error.message ? { message: error.message } : {}),
    },
  };
}

function evaluationEvents(
  result: BundleRecord,
  receipt: BundleRecord,
  content: boolean,
): { timeUnixNano: string; name: string; attributes: KeyValue[] }[] {
  const time = nanos(result.scored_at as string);
  const common = [
    attr("gen_ai.response.id", receipt.provider_response_id),
    attr("llm_workbench.result.id", result.id),
    attr("llm_workbench.case_key", result.case_key),
    attr("llm_workbench.repetition", result.repetition),
    attr("llm_workbench.slice", result.slice),
  ];
  const out: { timeUnixNano: string; name: string; attributes: KeyValue[] }[] =
    [];
  const checks = (result.checks ?? {}) as Record<
    string,
    { pass: boolean; score: number; detail: string }
  >;
  for (const [name, check] of Object.entries(checks)) {
    out.push({
      timeUnixNano: time,
      name: "gen_ai.evaluation.result",
      attributes: attrs(
        attr("gen_ai.evaluation.name", name),
        attr("gen_ai.evaluation.score.value", check.score, true),
        attr("gen_ai.evaluation.score.label", check.pass ? "pass" : "fail"),
        content ? attr("gen_ai.evaluation.explanation", check.detail) : null,
        ...common,
      ),
    });
  }
  const rubric = (result.rubric ?? {}) as Record<
    string,
    { score: number; reasoning: string }
  >;
  for (const [name, dim] of Object.entries(rubric)) {
    out.push({
      timeUnixNano: time,
      name: "gen_ai.evaluation.result",
      attributes: attrs(
        attr("gen_ai.evaluation.name", `rubric.${name}`),
        attr("gen_ai.evaluation.score.value", dim.score, true),
        content ? attr("gen_ai.evaluation.explanation", dim.reasoning) : null,
        ...common,
      ),
    });
  }
  return out;
}
