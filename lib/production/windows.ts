/**
 * Time windows of production traffic: UTC days and ISO weeks.
 *
 * @module
 */

/** How production calls are grouped: a UTC day or an ISO week (Monday to Sunday, UTC). */
export type WindowKind = "day" | "week";

/** One window: its id and its half-open time range. */
export interface TimeWindow {
  /** `2026-12-01` for a day, `2026-W49` for an ISO week. */
  readonly id: string;
  /** Its first instant (ISO 8601, UTC). */
  readonly start: string;
  /** The first instant after it. */
  readonly end: string;
}

const DAY_MS = 86_400_000;

/**
 * The window an instant falls in.
 *
 * @param at An ISO 8601 instant.
 * @param kind Day or week.
 * @returns The window's id and range.
 * @throws {RangeError} If `at` is not a date.
 *
 * @example A Wednesday's week
 * ```ts
 * import { windowOf } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(windowOf("2026-12-02T13:00:00Z", "week").id, "2026-W49");
 * assert.equal(windowOf("2026-12-02T13:00:00Z", "day").start, "2026-12-02T00:00:00.000Z");
 * ```
 */
export function windowOf(at: string, kind: WindowKind): TimeWindow {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) {
    throw new RangeError(
      `Cannot place "${at}" in a window: give an ISO 8601 date or time, e.g. 2026-12-01T09:30:00Z`,
    );
  }
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (kind === "day") {
    const start = new Date(day).toISOString();
    return {
      id: start.slice(0, 10),
      start,
      end: new Date(day + DAY_MS).toISOString(),
    };
  }
  // ISO week: Monday starts it; the year is the year of its Thursday.
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  const monday = day - weekday * DAY_MS;
  const thursday = new Date(monday + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1;
  return {
    id: `${year}-W${String(week).padStart(2, "0")}`,
    start: new Date(monday).toISOString(),
    end: new Date(monday + 7 * DAY_MS).toISOString(),
  };
}

/**
 * Whether a string names a window (`2026-12-01` or `2026-W49`) rather than a run.
 *
 * @param value A window id or a run id.
 * @returns Whether it is a window id.
 *
 * @example
 * ```ts
 * import { isWindowId } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isWindowId("2026-W49"), true);
 * assert.equal(isWindowId("run_01abc"), false);
 * ```
 */
export function isWindowId(value: string): boolean {
  return /^\d{4}-(\d{2}-\d{2}|W\d{2})$/.test(value);
}
