/**
 * Task behaviours for the fake provider: a task whose answers need more than
 * the task's own files (the demo's resume matching reads skills; its triage
 * reads keywords) registers a behaviour here, and the fake answers that
 * task's calls with it. Every other task is answered from its files
 * (docs/fake-provider.md, "Any task"). The demo registers its two
 * behaviours from demo/fake/register.ts; lib/providers knows none by name.
 *
 * @module
 */
import type { FakeHints } from "./adapter.ts";
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

/** The registered behaviour for a call, in registration order, or undefined (the generic fake answers). */
export function fakeBehaviourFor(hints: FakeHints): FakeBehaviour | undefined {
  return BEHAVIOURS.find((b) =>
    b.task === hints.task ||
    (hints.checks === undefined && b.recognises?.(hints.input) === true)
  );
}

/** The registered behaviour whose judge facts read this output, in registration order, or undefined. */
export function fakeJudgeFactsFor(
  hints: FakeHints | undefined,
  out: Json | null,
  expected: Json,
): FakeBehaviour | undefined {
  const guess = hints?.checks === undefined;
  return BEHAVIOURS.find((b) =>
    b.judgeFacts !== undefined &&
    (b.task === hints?.task ||
      (guess && out !== null && b.recognisesOutput?.(out, expected) === true))
  );
}
