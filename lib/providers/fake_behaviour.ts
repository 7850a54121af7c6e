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
