/**
 * Task behaviours for the fake provider: a task whose answers need more than
 * the task's own files (the demo's resume matching reads skills; its triage
 * reads keywords) registers a behaviour here, and the fake answers that
 * task's calls with it. Every other task is answered from its files
 * (docs/fake-provider.md, "Any task"). A behaviour is selected by data: a
 * fake model config's `behaviours` names the modules that export them
 * (the demo's models.yaml names demo/fake/behaviours.ts), and the adapter
 * imports them on its first call. lib/providers knows none by name.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import type { ModelConfig } from "../schema/model.ts";
import type { FakeHints } from "../schema/model_call.ts";
import type { AnswerContext } from "./fake_profile.ts";
import type { Facet, Json, Reading } from "./fake_judge_kit.ts";

/** How the fake answers one task. */
export interface FakeBehaviour {
  /** The task it answers. */
  readonly task: string;
  /**
   * For calls whose hints carry no task checks (a caller that did not go
   * through the experiment): whether an input of this shape belongs to the
   * task.
   */
  readonly recognises?: (input: Readonly<Record<string, unknown>>) => boolean;
  /** The text the model returns for this call. */
  answer(ctx: AnswerContext): string;
  /**
   * The fake judge's facts about a JSON output of this task, when the task's
   * checks are not enough to judge it (see fake_judge.ts).
   */
  readonly judgeFacts?: (
    raw: string,
    out: Json,
    input: Json,
    expected: Json,
  ) => Record<Facet, () => Reading>;
  /** For judge calls without the task's checks: whether an output (or expected values) of this shape belongs to the task. */
  readonly recognisesOutput?: (out: Json, expected: Json) => boolean;
}

const BEHAVIOURS: FakeBehaviour[] = [];

/**
 * Registers a task behaviour (once per task; registering a task again
 * replaces its behaviour in place, so registration order, which decides
 * between behaviours that recognise the same input, is kept).
 */
export function registerFakeBehaviour(behaviour: FakeBehaviour): void {
  const at = BEHAVIOURS.findIndex((b) => b.task === behaviour.task);
  if (at >= 0) BEHAVIOURS[at] = behaviour;
  else BEHAVIOURS.push(behaviour);
}

/**
 * The behaviour for a call: the config's own (`own`, in the order its
 * modules list them), then the registered ones in registration order; or
 * undefined (the generic fake answers).
 */
export function fakeBehaviourFor(
  hints: FakeHints,
  own: readonly FakeBehaviour[] = [],
): FakeBehaviour | undefined {
  return [...own, ...BEHAVIOURS].find((b) =>
    b.task === hints.task ||
    (hints.checks === undefined && b.recognises?.(hints.input) === true)
  );
}

/** The behaviour whose judge facts read this output (the config's own first, then the registered ones), or undefined. */
export function fakeJudgeFactsFor(
  hints: FakeHints | undefined,
  out: Json | null,
  expected: Json,
  own: readonly FakeBehaviour[] = [],
): FakeBehaviour | undefined {
  const guess = hints?.checks === undefined;
  return [...own, ...BEHAVIOURS].find((b) =>
    b.judgeFacts !== undefined &&
    (b.task === hints?.task ||
      (guess && out !== null && b.recognisesOutput?.(out, expected) === true))
  );
}

/** Where a relative `behaviours` path resolves: the toolkit's root. */
const TOOLKIT_ROOT = new URL("../../", import.meta.url);

/** The URL a `behaviours` entry names: a URL as written, a path against the toolkit's root. */
export function behaviourModuleUrl(entry: string): string {
  return /^(?:file|https|jsr|npm):/.test(entry)
    ? entry
    : new URL(entry, TOOLKIT_ROOT).href;
}

/**
 * Imports the modules a fake model config's `behaviours` names and returns
 * their exported `behaviours`, in the order listed.
 *
 * @throws {ConfigError} If a module cannot be imported or does not export
 * an array of behaviours (each with a `task` and an `answer` function).
 */
export async function loadFakeBehaviours(
  config: Pick<ModelConfig, "id" | "behaviours">,
): Promise<readonly FakeBehaviour[]> {
  const loaded: FakeBehaviour[] = [];
  for (const entry of config.behaviours ?? []) {
    const url = behaviourModuleUrl(entry);
    const where =
      `model config "${config.id}" behaviours entry "${entry}" (${url})`;
    let module: Record<string, unknown>;
    try {
      module = await import(url);
    } catch (error) {
      throw new ConfigError(
        `Cannot import the fake behaviours of ${where}: ${
          error instanceof Error ? error.message : String(error)
        }; fix the path in models.yaml (relative to the toolkit's root, or a URL)`,
        { cause: error },
      );
    }
    const exported = module.behaviours;
    if (!Array.isArray(exported) || !exported.every(isBehaviour)) {
      throw new ConfigError(
        `The module of ${where} does not export \`behaviours\`, an array of objects each with a \`task\` name and an \`answer\` function (see docs/fake-provider.md, "Task behaviours")`,
      );
    }
    loaded.push(...exported);
  }
  return loaded;
}

function isBehaviour(value: unknown): value is FakeBehaviour {
  if (typeof value !== "object" || value === null) return false;
  const b = value as Record<string, unknown>;
  return typeof b.task === "string" && typeof b.answer === "function";
}
