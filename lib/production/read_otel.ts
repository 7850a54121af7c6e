/**
 * Reads production calls of a task from an OTLP/JSON file of GenAI spans,
 * as `exportOtel` (`wb export-otel --content`) writes it.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** A production call to score, from the store or from a span. */
export interface ProductionCall {
  /** The receipt id. */
  readonly receipt_id: string;
  /** The receipt's sha256. */
  readonly receipt_sha256: string;
  /** When the call ended (ISO 8601). */
  readonly created_at: string;
  /** The task input recorded with it; `undefined` when none was. */
  readonly input: unknown;
  /** The model's text, or null when it failed. */
  readonly output: string | null;
  /** Whether the call succeeded. */
  readonly ok: boolean;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

function valueOf(value: Record<string, unknown> | undefined): unknown {
  if (!value) return undefined;
  if ("stringValue" in value) return value["stringValue"];
  if ("intValue" in value) return Number(value["intValue"]);
  if ("doubleValue" in value) return value["doubleValue"];
  if ("boolValue" in value) return value["boolValue"];
  return undefined;
}

function attributes(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const item of list as KeyValue[]) {
    if (item && typeof item.key === "string") {
      out.set(item.key, valueOf(item.value));
    }
  }
  return out;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The assistant text of `gen_ai.output.messages`. */
function outputText(messages: unknown): string | null {
  if (!Array.isArray(messages)) return null;
  const parts = messages.flatMap((m) =>
    Array.isArray(m?.parts)
      ? m.parts.filter((p: { type?: string }) => p?.type === "text")
        .map((p: { content?: unknown }) => String(p.content ?? ""))
      : []
  );
  return parts.length ? parts.join("") : null;
}

/**
 * The generation calls of a task in an OTLP/JSON Lines text whose spans
 * ended in `[since, until)`: CLIENT spans with `llm_workbench.task` set to
 * the task, their input from `llm_workbench.input` and their output from
 * `gen_ai.output.messages` (both present only in an export with content).
 *
 * @throws {ValidationError} If a line is not JSON (naming the line).
 */
export function readOtelCalls(
  text: string,
  options: { task: string; since: string; until?: string | undefined },
): ProductionCall[] {
  const out: ProductionCall[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new ValidationError([{
        line: i + 1,
        message: `not OTLP/JSON (${
          e instanceof Error ? e.message : String(e)
        }): give the file \`wb export-otel --content\` wrote`,
      }]);
    }
    const resources = (parsed as { resourceSpans?: unknown[] }).resourceSpans;
    for (const resource of Array.isArray(resources) ? resources : []) {
      const scopes = (resource as { scopeSpans?: unknown[] }).scopeSpans;
      for (const scope of Array.isArray(scopes) ? scopes : []) {
        const spans = (scope as { spans?: unknown[] }).spans;
        for (const span of Array.isArray(spans) ? spans : []) {
          const s = span as Record<string, unknown>;
          const a = attributes(s["attributes"]);
          if (a.get("llm_workbench.task") !== options.task) continue;
          if ((a.get("llm_workbench.purpose") ?? "generate") !== "generate") {
            continue;
          }
          const end = BigInt(String(s["endTimeUnixNano"] ?? "0"));
          const createdAt = new Date(Number(end / 1_000_000n)).toISOString();
          if (createdAt < options.since) continue;
          if (options.until !== undefined && createdAt >= options.until) {
            continue;
          }
          const id = a.get("llm_workbench.receipt.id");
          const sha = a.get("llm_workbench.receipt.sha256");
          if (typeof id !== "string" || typeof sha !== "string") continue;
          out.push({
            receipt_id: id,
            receipt_sha256: sha,
            created_at: createdAt,
            input: parseJson(a.get("llm_workbench.input")),
            output: outputText(parseJson(a.get("gen_ai.output.messages"))),
            ok: !a.has("error.type"),
          });
        }
      }
    }
  });
  return out.sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0
  );
}
