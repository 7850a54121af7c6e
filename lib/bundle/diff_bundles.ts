import { createTwoFilesPatch } from "diff";
import { canonicalize } from "../content/canonicalize.ts";
import {
  BUNDLE_SECTIONS,
  type BundleRecord,
  type BundleSection,
  recordKey,
} from "../store/bundle.ts";
import { loadBundle, type LoadedBundle } from "./_load.ts";
import { diffFigures } from "./replay_bundle.ts";
import type { BundleSource } from "./verify_bundle.ts";
import { ValidationError } from "../errors.ts";

/** One record that differs between two bundles. */
export interface BundleChange {
  /** The section. */
  readonly section: BundleSection;
  /** `added` (only in b), `removed` (only in a) or `changed` (in both, or paired). */
  readonly kind: "added" | "removed" | "changed";
  /** The record's key in a (null when added). */
  readonly from: string | null;
  /** The record's key in b (null when removed). */
  readonly to: string | null;
  /** For changed records: which fields differ, with patches for text and figure changes for scorecards. */
  readonly detail: string;
}

/** What {@linkcode diffBundles} found. */
export interface BundleDiff {
  /** The first bundle's payload sha256 and whether it verifies. */
  readonly a: { readonly sha256: string | null; readonly ok: boolean };
  /** The second bundle's. */
  readonly b: { readonly sha256: string | null; readonly ok: boolean };
  /** Every record that differs. */
  readonly changes: readonly BundleChange[];
  /** The whole difference, readable: unified diffs of prompts, outputs and artifacts, changed scorecard figures. */
  readonly text: string;
}

/** Fields that name a record or its neighbours: not shown for paired records, whose ids differ by design. */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  "id",
  "sha256",
  "created_at",
  "scored_at",
  "trace_id",
  "run_id",
  "generation_io_id",
  "judge_io_ids",
]);

const TEXT_FIELDS: Partial<Record<BundleSection, readonly string[]>> = {
  prompt_versions: ["system", "template"],
  results: ["output"],
  receipts: ["text"],
  artifacts: ["body"],
};

/**
 * What differs between two bundles, readably: records added, removed and
 * changed per section; prompt versions of the same task, runs, results of
 * the same case and repetition, and scorecards of paired runs are paired
 * even when their ids differ, so comparing a baseline run's bundle with a
 * candidate's shows the prompt diff, the outputs that changed and the
 * figures that moved.
 *
 * @param a The first bundle (text, bytes or stream).
 * @param b The second bundle.
 * @returns The changes and a readable report.
 * @throws {ValidationError} If either file cannot be read as a bundle at all (one that reads but does not verify is diffed).
 *
 * @example Two bundles of the same trace, one step apart
 * ```ts
 * import { bundle, diffBundles, open, Tracer } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * const before = await bundle(store, { trace: tracer.traceId });
 * await tracer.emit("step_finished", { step: "a" });
 * const after = await bundle(store, { trace: tracer.traceId });
 * const diff = await diffBundles(before.text!, after.text!);
 * assert.deepEqual(diff.changes.map((c) => [c.section, c.kind]), [["trace_events", "added"]]);
 * ```
 */
export async function diffBundles(
  a: BundleSource,
  b: BundleSource,
): Promise<BundleDiff> {
  const [left, right] = await Promise.all([loadBundle(a), loadBundle(b)]);
  // A bundle that was read but does not verify is diffed (to see what was
  // edited); a file that is not a bundle at all is an error.
  const unreadable = [left, right].flatMap((bundle, i) =>
    bundle.verification.sha256 === null
      ? [{
        field: i === 0 ? "a" : "b",
        message:
          `not a bundle that can be read: ${bundle.verification.summary}`,
      }]
      : []
  );
  if (unreadable.length > 0) throw new ValidationError(unreadable);
  const changes: BundleChange[] = [];
  const runPairs = new Map<string, string>();
  // Runs first: results and scorecards are paired through their runs.
  const order: BundleSection[] = [
    "runs",
    ...BUNDLE_SECTIONS.filter((s) => s !== "runs"),
  ];
  for (const section of order) {
    const before = keyed(section, left.sections[section]);
    const after = keyed(section, right.sections[section]);
    const removed = [...before.keys()].filter((k) => !after.has(k));
    const added = [...after.keys()].filter((k) => !before.has(k));
    for (const [key, record] of before) {
      const other = after.get(key);
      if (other && canonicalize(other) !== canonicalize(record)) {
        changes.push(changed(section, key, key, record, other));
      }
    }
    const paired = pair(section, removed, added, before, after, runPairs);
    for (const [from, to] of paired) {
      if (section === "runs") runPairs.set(from, to);
      const x = before.get(from)!;
      const y = after.get(to)!;
      if (canonicalize(strip(section, x)) !== canonicalize(strip(section, y))) {
        changes.push(changed(section, from, to, x, y));
      }
    }
    const pairedFrom = new Set(paired.map(([f]) => f));
    const pairedTo = new Set(paired.map(([, t]) => t));
    for (const key of removed) {
      if (!pairedFrom.has(key)) {
        changes.push({
          section,
          kind: "removed",
          from: key,
          to: null,
          detail: "",
        });
      }
    }
    for (const key of added) {
      if (!pairedTo.has(key)) {
        changes.push({
          section,
          kind: "added",
          from: null,
          to: key,
          detail: "",
        });
      }
    }
  }
  return {
    a: { sha256: left.verification.sha256, ok: left.verification.ok },
    b: { sha256: right.verification.sha256, ok: right.verification.ok },
    changes,
    text: report(left, right, changes),
  };
}

function keyed(
  section: BundleSection,
  records: BundleRecord[],
): Map<string, BundleRecord> {
  return new Map(records.map((r) => [recordKey(section, r), r]));
}

/** Fields that name the record rather than its content, left out when comparing paired records. */
function strip(section: BundleSection, record: BundleRecord): BundleRecord {
  const {
    id: _id,
    run_id: _run,
    created_at: _c,
    scored_at: _s,
    generation_io_id: _g,
    judge_io_ids: _j,
    sha256: _sha,
    ...rest
  } = record;
  return section === "prompt_versions" ? { ...rest, version: null } : rest;
}

function pair(
  section: BundleSection,
  removed: string[],
  added: string[],
  before: Map<string, BundleRecord>,
  after: Map<string, BundleRecord>,
  runPairs: Map<string, string>,
): [string, string][] {
  const by = (
    keyOf: (r: BundleRecord) => string | null,
  ): [string, string][] => {
    const left = new Map<string, string[]>();
    for (const k of removed) {
      const g = keyOf(before.get(k)!);
      if (g !== null) left.set(g, [...(left.get(g) ?? []), k]);
    }
    const right = new Map<string, string[]>();
    for (const k of added) {
      const g = keyOf(after.get(k)!);
      if (g !== null) right.set(g, [...(right.get(g) ?? []), k]);
    }
    const out: [string, string][] = [];
    for (const [g, ks] of left) {
      const other = right.get(g);
      if (ks.length === 1 && other?.length === 1) out.push([ks[0]!, other[0]!]);
    }
    return out;
  };
  switch (section) {
    case "prompt_versions":
      return by((r) => String(r.task));
    case "runs":
      return by((r) => `${r.task}`);
    case "scorecards":
      return by((r) => runPairs.get(String(r.run_id)) ?? String(r.run_id));
    case "results":
      return by((r) =>
        `${
          runPairs.get(String(r.run_id)) ?? r.run_id
        }/${r.case_key}#${r.repetition}`
      );
    case "artifacts":
      return by((r) => String(r.key));
    default:
      return [];
  }
}

function changed(
  section: BundleSection,
  from: string,
  to: string,
  a: BundleRecord,
  b: BundleRecord,
): BundleChange {
  const lines: string[] = [];
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    .filter((field) => from === to || !IDENTITY_FIELDS.has(field));
  const textFields = TEXT_FIELDS[section] ?? [];
  for (const field of fields) {
    const x = a[field];
    const y = b[field];
    if (canonicalize(x ?? null) === canonicalize(y ?? null)) continue;
    if (
      textFields.includes(field) &&
      (typeof x === "string" || typeof y === "string")
    ) {
      lines.push(
        createTwoFilesPatch(
          `${from}.${field}`,
          `${to}.${field}`,
          readable(x),
          readable(y),
        ).replace(/^={67}\n/, "").trimEnd(),
      );
    } else if (isObject(x) && isObject(y)) {
      // JSON columns (scorecard figures, workflow snapshots...): leaf by leaf.
      for (const figure of diffFigures(x, y)) {
        lines.push(
          `  ${field}.${figure.path}: ${short(figure.stored)} -> ${
            short(figure.replayed)
          }`,
        );
      }
    } else {
      lines.push(`  ${field}: ${short(x)} -> ${short(y)}`);
    }
  }
  return { section, kind: "changed", from, to, detail: lines.join("\n") };
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/** Text for a line diff: JSON outputs pretty-printed so changes land on their own lines. */
function readable(value: unknown): string {
  if (typeof value !== "string") {
    return value === undefined || value === null
      ? ""
      : `${canonicalize(value)}\n`;
  }
  try {
    const parsed = JSON.parse(value);
    if (typeof parsed === "object" && parsed !== null) {
      return `${JSON.stringify(parsed, null, 2)}\n`;
    }
  } catch {
    // not JSON: diff as text
  }
  return value.endsWith("\n") ? value : `${value}\n`;
}

function short(value: unknown): string {
  const text = value === undefined ? "(absent)" : canonicalize(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function report(
  left: LoadedBundle,
  right: LoadedBundle,
  changes: readonly BundleChange[],
): string {
  const state = (b: LoadedBundle) =>
    `${b.verification.sha256 ?? "(unreadable)"} ${
      b.verification.ok ? "verifies" : "DOES NOT VERIFY"
    }`;
  const out = [`a: ${state(left)}`, `b: ${state(right)}`];
  if (changes.length === 0) {
    out.push("no differences");
    return out.join("\n");
  }
  for (const section of BUNDLE_SECTIONS) {
    const here = changes.filter((c) => c.section === section);
    if (here.length === 0) continue;
    const count = (kind: BundleChange["kind"]) =>
      here.filter((c) => c.kind === kind).length;
    out.push(
      "",
      `## ${section}: ${count("changed")} changed, ${count("added")} added, ${
        count("removed")
      } removed`,
    );
    for (const change of here.filter((c) => c.kind === "changed")) {
      out.push(
        change.from === change.to
          ? `~ ${change.from}`
          : `~ ${change.from} -> ${change.to}`,
      );
      if (change.detail) out.push(change.detail);
    }
    for (const kind of ["added", "removed"] as const) {
      const keys = here.filter((c) => c.kind === kind).map((c) =>
        c.to ?? c.from
      );
      if (keys.length === 0) continue;
      const shown = keys.slice(0, 5).join(", ");
      out.push(
        `${kind === "added" ? "+" : "-"} ${shown}${
          keys.length > 5 ? ` (+${keys.length - 5} more)` : ""
        }`,
      );
    }
  }
  return out.join("\n");
}
