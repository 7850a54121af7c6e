/**
 * A fake production stream for tests: support_triage inputs drawn from
 * the suite's own cases (with new account ids), answered by the fake
 * provider and recorded by the tracer as users' code would record them.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { renderPrompt } from "../experiment/render.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import type { Case } from "../schema/dataset.ts";
import type { Slice } from "../schema/task.ts";
import {
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
} from "../store/catalog.ts";
import type { Store } from "../store/open.ts";
import { recordCall } from "../trace/record_call.ts";
import { Tracer } from "../trace/tracer.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A catalog root with the shipped support_triage task (opted in to the
 * production judge when `judge`), its dataset and models.yaml.
 */
export async function productionCatalog(
  options: { judge?: boolean; redact?: readonly string[] } = {},
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "wb_production_" });
  await Deno.mkdir(join(root, "prompts", "support_triage"), {
    recursive: true,
  });
  await Deno.mkdir(join(root, "datasets"));
  for await (
    const entry of Deno.readDir(join(REPO, "prompts/support_triage"))
  ) {
    let text = await Deno.readTextFile(
      join(REPO, "prompts/support_triage", entry.name),
    );
    if (entry.name === "task.yaml" && options.judge) {
      text += "production:\n  judge: true\n";
      if (options.redact?.length) {
        text += `  redact: [${options.redact.join(", ")}]\n`;
      }
    }
    await Deno.writeTextFile(
      join(root, "prompts/support_triage", entry.name),
      text,
    );
  }
  await Deno.copyFile(
    join(REPO, "datasets/support_triage.jsonl"),
    join(root, "datasets/support_triage.jsonl"),
  );
  await Deno.copyFile(join(REPO, "models.yaml"), join(root, "models.yaml"));
  return root;
}

/** One day of traffic. */
export interface StreamDay {
  /** The day, e.g. `2026-11-02`. */
  readonly day: string;
  /** Calls made that day. */
  readonly calls: number;
  /** The share of adversarial inputs. */
  readonly adversarial: number;
}

/** What the stream recorded. */
export interface StreamCall {
  readonly receipt_id: string;
  readonly slice: Slice;
  readonly source_case: string;
  readonly day: string;
  readonly trace_id: string;
}

const OTHERS: readonly [Slice, number][] = [
  ["typical", 0.6],
  ["edge", 0.2],
  ["known_failure", 0.1],
];

/** The true slice of the i-th of n calls with an adversarial share (deterministic). */
function sliceAt(i: number, n: number, adversarial: number): Slice {
  const adv = Math.round(n * adversarial);
  // Spread the adversarial calls evenly through the day.
  if (
    adv > 0 && Math.floor((i * adv) / n) !== Math.floor(((i + 1) * adv) / n)
  ) {
    return "adversarial";
  }
  const k = (i * 7919) % 90;
  return k < 60 ? OTHERS[0]![0] : k < 80 ? OTHERS[1]![0] : OTHERS[2]![0];
}

/**
 * Records a production stream of support_triage calls answered by
 * `fake-fast` with a prompt version, one trace per day, each call at its
 * own minute of the day.
 */
export async function productionStream(
  store: Store,
  days: readonly StreamDay[],
  options: { prompt?: string; invalidEvery?: number } = {},
): Promise<StreamCall[]> {
  const version = await getPromptVersion(
    store,
    "support_triage",
    options.prompt ?? "v4",
  );
  const config = await getModelConfig(store, "fake-fast");
  const adapter = createAdapter(config);
  const dataset = await getLatestDataset(store, "support_triage");
  const bySlice = new Map<Slice, Case[]>();
  for (const c of dataset.cases) {
    bySlice.set(c.slice, [...(bySlice.get(c.slice) ?? []), c]);
  }
  const out: StreamCall[] = [];
  let serial = 0;
  for (const day of days) {
    let minute = 0;
    const tracer = await Tracer.start(store, {
      schema_version: 1,
      name: "support bot",
      steps: [{ id: "triage" }],
    }, {
      now: () =>
        new Date(Date.parse(`${day.day}T00:00:00Z`) + minute * 60_000)
          .toISOString(),
    });
    for (let i = 0; i < day.calls; i++) {
      minute = i + 1;
      serial++;
      const slice = sliceAt(i, day.calls, day.adversarial);
      const pool = bySlice.get(slice)!;
      const source = pool[(serial * 31 + i) % pool.length]!;
      const context = source.input["account_context"] as Record<
        string,
        unknown
      >;
      const input: Record<string, unknown> = {
        ...source.input,
        account_context: { ...context, account_id: `AC-P${serial}` },
      };
      if (options.invalidEvery && serial % options.invalidEvery === 0) {
        // A client that sends a field the task's input schema does not allow.
        input["channel"] = "email";
      }
      const rendered = renderPrompt(version, input);
      const params = { ...config.params, ...version.params };
      const response = await adapter.call({
        system: rendered.system,
        messages: rendered.messages,
        params,
        repetition: serial,
        hints: {
          task: "support_triage",
          case_id: `prod-${serial}`,
          slice,
          input,
        },
      });
      const recorded = await recordCall(tracer, {
        provider: config.provider,
        model: config.model,
        modelConfigId: config.id,
        task: "support_triage",
        input,
        request: {
          ...(rendered.system === undefined ? {} : { system: rendered.system }),
          messages: rendered.messages,
          params,
        },
        response: { text: response.text, usage: response.usage },
        latencyMs: 100 + (serial % 50),
        step: "triage",
      });
      out.push({
        receipt_id: recorded.id,
        slice,
        source_case: source.id,
        day: day.day,
        trace_id: tracer.traceId,
      });
    }
  }
  return out;
}
