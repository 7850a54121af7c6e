/**
 * Reads a bundle record by record and checks everything that can be checked
 * without keys: strict JSON, the schema of every member and record, each
 * record's own hash, the event chains, the table of contents (changed,
 * added, removed, reordered records), references between sections, and the
 * payload's sha256 (streamed through an incremental hash).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type * as z from "zod";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { recordKey } from "../store/bundle.ts";
import { GENESIS_HASH, hashEvent } from "../trace/event.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import {
  BUNDLE_SECTIONS,
  type BundleSection,
  IntegritySchema,
  MEMBER_SCHEMAS,
  PAYLOAD_MEMBERS,
  RECORD_SCHEMAS,
  type TocEntry,
} from "./format.ts";
import {
  type ByteSource,
  JsonStreamReader,
  StreamSyntaxError,
} from "./_json_stream.ts";
import { OrderedMembers } from "./_ordered_members.ts";
import { parseJsonStrict, StrictJsonError } from "./_strict_json.ts";

/** One thing wrong with a bundle: where, and what. */
export interface BundleProblem {
  /** The section (`receipts`, `trace_events`, ...), `integrity`, or null for the whole file. */
  readonly section: string | null;
  /** The record's key within its section, or null. */
  readonly record: string | null;
  /** What is wrong. */
  readonly message: string;
}

/** Called for each record that passed its own checks (used by import). */
export type RecordHandler = (
  section: BundleSection,
  record: Record<string, unknown>,
) => Promise<void> | void;

/** What reading a bundle found. */
export interface ScanOutcome {
  /** Everything wrong, most specific first. */
  readonly problems: BundleProblem[];
  /** The payload's sha256 as computed, or null when the file could not be read to the end. */
  readonly sha256: string | null;
  /** The integrity block, when present and well-formed. */
  readonly integrity: z.infer<typeof IntegritySchema> | null;
  /** The header members as found (format, version, created_at, generator, scope, redactions). */
  readonly header: Readonly<Record<string, unknown>>;
  /** Records per section. */
  readonly counts: Record<BundleSection, number>;
  /** Records flagged as redacted in the table of contents, and cache hits carried as references to one. */
  readonly redacted: number;
}

const MAX_PROBLEMS = 50;

type Problems = BundleProblem[];

interface Ref {
  readonly from: string;
  readonly fromKey: string;
  readonly target: BundleSection;
  readonly key: string;
  readonly what: string;
}

class Checker {
  readonly problems: Problems = [];
  readonly domain: (BundleProblem & { key: string })[] = [];
  readonly refs: Ref[] = [];
  readonly refProblems: Problems = [];
  readonly computed = new Map<BundleSection, [string, string][]>();
  readonly keys = new Map<BundleSection, Set<string>>();
  readonly done = new Set<BundleSection>();
  readonly receiptSha = new Map<string, string>();
  /** Cache hits carried as references: key, the receipt reused, its sha256 and cache key as recorded. */
  readonly references: {
    key: string;
    from: string;
    sha256: string;
    cacheKey: string | null;
  }[] = [];
  /** Each whole receipt's cache key, for the references that reuse it. */
  readonly cacheKeys = new Map<string, string>();
  readonly artifactSha = new Map<string, string>();
  readonly chains = new Map<string, { index: number; hash: string }>();
  readonly started = new Map<string, unknown>();
  readonly workflowSha = new Map<string, string>();

  constructor() {
    for (const s of BUNDLE_SECTIONS) {
      this.computed.set(s, []);
      this.keys.set(s, new Set());
    }
  }

  add(section: string | null, record: string | null, message: string): void {
    if (this.problems.length < MAX_PROBLEMS) {
      this.problems.push({ section, record, message });
    }
  }

  own(section: BundleSection, key: string, message: string): void {
    this.domain.push({ section, record: key, message, key });
  }

  ref(
    from: BundleSection,
    fromKey: string,
    target: BundleSection,
    key: string,
    what: string,
  ): void {
    if (this.done.has(target)) {
      if (!this.keys.get(target)!.has(key)) {
        this.refProblems.push({
          section: from,
          record: fromKey,
          message: `${what} '${key}' is not in the bundle's ${target}`,
        });
      }
    } else {
      this.refs.push({ from, fromKey, target, key: flat(key), what });
    }
  }

  /** Per-record checks: schema, own hash, chains, references. Returns the key. */
  record(
    section: BundleSection,
    value: unknown,
    position: number,
  ): { key: string; ok: boolean } {
    const parsed = RECORD_SCHEMAS[section].safeParse(value);
    if (!parsed.success) {
      const fallback = typeof value === "object" && value !== null
        ? safeKey(section, value as Record<string, unknown>)
        : null;
      const key = fallback ?? `#${position}`;
      this.add(
        section,
        key,
        `record does not match the format: ${firstIssue(parsed.error)}`,
      );
      return { key, ok: false };
    }
    const record = value as Record<string, unknown>;
    const key = flat(recordKey(section, record));
    const keys = this.keys.get(section)!;
    if (keys.has(key)) {
      this.add(section, key, "record appears twice");
      return { key, ok: false };
    }
    keys.add(key);
    this.#ownHash(section, key, record);
    this.#references(section, key, record);
    return { key, ok: true };
  }

  #ownHash(
    section: BundleSection,
    key: string,
    record: Record<string, unknown>,
  ): void {
    switch (section) {
      case "receipts": {
        const { sha256, ...rest } = record;
        if (contentHash(rest) !== sha256) {
          this.own(
            section,
            key,
            "receipt does not match its own sha256 (its content was changed)",
          );
        }
        this.receiptSha.set(key, flat(sha256 as string));
        const cacheKey = typeof record.cache_key === "string"
          ? record.cache_key
          : null;
        if (typeof record.cached_sha256 === "string") {
          this.references.push({
            key,
            from: flat(record.cached_from as string),
            sha256: flat(record.cached_sha256),
            cacheKey: cacheKey === null ? null : flat(cacheKey),
          });
        } else if (cacheKey !== null) this.cacheKeys.set(key, flat(cacheKey));
        return;
      }
      case "artifacts":
        if (sha256Hex(record.body as string) !== record.sha256) {
          this.own(
            section,
            key,
            "artifact body does not match its sha256 (its content was changed)",
          );
        }
        this.artifactSha.set(key, flat(record.sha256 as string));
        return;
      case "workflows":
        if (contentHash(record.snapshot) !== record.sha256) {
          this.own(
            section,
            key,
            "workflow snapshot does not match its sha256",
          );
        }
        this.workflowSha.set(key, flat(record.sha256 as string));
        return;
      case "scorecards":
      case "comparisons":
        if (contentHash(record.body) !== record.sha256) {
          this.own(
            section,
            key,
            `${section.slice(0, -1)} body does not match its sha256`,
          );
        }
        return;
      case "prompt_versions": {
        const { system, template, params } = record;
        if (contentHash({ system, template, params }) !== record.sha256) {
          this.own(
            section,
            key,
            "prompt version does not match its sha256 (system, template or params changed)",
          );
        }
        return;
      }
      case "model_configs":
        if (contentHash(record.config) !== record.sha256) {
          this.own(section, key, "model config does not match its sha256");
        }
        return;
      case "tasks":
        if (
          contentHash({ name: record.name, definition: record.definition }) !==
            record.id
        ) {
          this.own(section, key, "task definition does not match its id");
        }
        return;
      case "gates":
        if (contentHash(record.subject) !== record.subject_sha256) {
          this.own(
            section,
            key,
            "gate subject does not match its subject_sha256",
          );
        }
        return;
      case "trace_events": {
        const event = record as unknown as TraceEvent;
        if (hashEvent(event) !== event.hash) {
          this.own(
            section,
            key,
            `event ${event.index} (${event.type}) does not match its hash`,
          );
        }
        const before = this.chains.get(event.trace_id);
        const expectedIndex = before ? before.index + 1 : 0;
        if (event.index !== expectedIndex) {
          this.add(
            section,
            key,
            `event ${event.index} (${event.type}) found where event ${expectedIndex} of trace '${event.trace_id}' belongs: an event was removed, reordered or inserted`,
          );
        } else if (event.prev_hash !== (before?.hash ?? GENESIS_HASH)) {
          this.add(
            section,
            key,
            `event ${event.index} (${event.type}) does not chain to the previous event of trace '${event.trace_id}'`,
          );
        }
        this.chains.set(flat(event.trace_id), {
          index: event.index,
          hash: flat(event.hash),
        });
        if (event.index === 0 && event.type === "workflow_started") {
          this.started.set(flat(event.trace_id), event.data["sha256"]);
        }
        return;
      }
    }
  }

  #references(
    section: BundleSection,
    key: string,
    record: Record<string, unknown>,
  ): void {
    const str = (name: string) => record[name] as string | null;
    switch (section) {
      case "results": {
        const generation = str("generation_io_id");
        if (generation) {
          this.ref(section, key, "receipts", generation, "generation receipt");
        }
        for (const id of record.judge_io_ids as string[]) {
          this.ref(section, key, "receipts", id, "judge receipt");
        }
        this.ref(section, key, "runs", str("run_id")!, "run");
        return;
      }
      case "receipts":
        if (str("cached_from")) {
          this.ref(
            section,
            key,
            "receipts",
            str("cached_from")!,
            "cached_from receipt",
          );
        }
        if (str("price_id")) {
          this.ref(section, key, "prices", str("price_id")!, "price");
        }
        return;
      case "test_cases":
        this.ref(section, key, "datasets", str("dataset_id")!, "dataset");
        return;
      case "gate_decisions":
      case "alias_moves":
        this.ref(section, key, "gates", str("gate_id")!, "gate");
        return;
      case "comparisons":
        this.ref(section, key, "runs", str("baseline_run_id")!, "baseline run");
        this.ref(
          section,
          key,
          "runs",
          str("candidate_run_id")!,
          "candidate run",
        );
        return;
      case "trace_events": {
        const data = record.data as Record<string, unknown>;
        const ids = [
          data["receipt_id"],
          ...(Array.isArray(data["receipt_ids"]) ? data["receipt_ids"] : []),
        ].filter((id): id is string => typeof id === "string");
        for (const id of ids) this.ref(section, key, "receipts", id, "receipt");
        const receiptSha = data["receipt_sha256"];
        if (
          typeof data["receipt_id"] === "string" &&
          typeof receiptSha === "string"
        ) {
          const actual = this.receiptSha.get(data["receipt_id"]);
          if (actual !== undefined && actual !== receiptSha) {
            this.refProblems.push({
              section: "receipts",
              record: data["receipt_id"],
              message:
                `receipt sha256 differs from the one trace event '${key}' recorded (the receipt was replaced)`,
            });
          }
        }
        const artifactId = data["artifact_id"];
        const artifactSha = data["artifact_sha256"];
        if (typeof artifactId === "string") {
          this.ref(section, key, "artifacts", artifactId, "artifact");
          const actual = this.artifactSha.get(artifactId);
          if (
            actual !== undefined && typeof artifactSha === "string" &&
            actual !== artifactSha
          ) {
            this.refProblems.push({
              section: "artifacts",
              record: artifactId,
              message:
                `artifact sha256 differs from the one trace event '${key}' recorded (the artifact was replaced)`,
            });
          }
        }
        return;
      }
    }
  }

  /** Section fully read: settle references into it that were waiting. */
  close(section: BundleSection): void {
    this.done.add(section);
    const waiting = this.refs.filter((r) => r.target === section);
    if (waiting.length === 0) return;
    const keys = this.keys.get(section)!;
    for (const r of waiting) {
      if (!keys.has(r.key)) {
        this.refProblems.push({
          section: r.from,
          record: r.fromKey,
          message: `${r.what} '${r.key}' is not in the bundle's ${section}`,
        });
      }
    }
    const rest = this.refs.filter((r) => r.target !== section);
    this.refs.length = 0;
    this.refs.push(...rest);
  }

  /** Compares each section with the table of contents. */
  toc(toc: Record<BundleSection, TocEntry[]>): Problems {
    const out: Problems = [];
    for (const section of BUNDLE_SECTIONS) {
      const listed = toc[section];
      const found = this.computed.get(section)!;
      const listedAt = new Map(listed.map((e, i) => [e.id, i]));
      const foundAt = new Map(found.map(([id], i) => [id, i]));
      let reported = 0;
      const report = (record: string, message: string) => {
        if (reported++ < 10) out.push({ section, record, message });
      };
      for (const entry of listed) {
        if (!foundAt.has(entry.id)) {
          report(
            entry.id,
            "record listed in the table of contents is missing (removed)",
          );
        }
      }
      for (const [id, sha] of found) {
        const at = listedAt.get(id);
        if (at === undefined) {
          report(
            id,
            "record is not in the table of contents (added)",
          );
        } else if (listed[at]!.sha256 !== sha) {
          report(
            id,
            "record does not match its sha256 in the table of contents (changed)",
          );
        }
      }
      // Order: the common records must appear in the order the TOC lists them.
      const common = found.filter(([id]) => listedAt.has(id));
      let last = -1;
      for (const [id] of common) {
        const at = listedAt.get(id)!;
        if (at < last) {
          report(
            id,
            "record is out of the order the table of contents lists (reordered)",
          );
          break;
        }
        last = at;
      }
    }
    return out;
  }
}

/**
 * A copy of a string that does not keep the text it was cut from alive:
 * V8 slices share their parent, and a key kept for the whole scan would
 * otherwise pin its record's full text in memory.
 */
function flat(text: string): string {
  return text.length < 13 ? text : JSON.parse(JSON.stringify(text));
}

function safeKey(
  section: BundleSection,
  value: Record<string, unknown>,
): string | null {
  try {
    const key = recordKey(section, value);
    return key.includes("undefined") ? null : key;
  } catch {
    return null;
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Reads and checks a bundle. Never throws for a bad bundle: every problem
 * is returned, naming its section and record.
 *
 * @param source The bundle's text, bytes or byte stream.
 * @param onRecord Called with each record that passed its own checks.
 * @returns What was found.
 */
export async function scanBundle(
  source: ByteSource,
  onRecord?: RecordHandler,
  options: { everyRecord?: boolean } = {},
): Promise<ScanOutcome> {
  const checker = new Checker();
  const reader = JsonStreamReader.from(source);
  const hasher = createHash("sha256");
  const top = new OrderedMembers(PAYLOAD_MEMBERS, (t) => hasher.update(t));
  const header: Record<string, unknown> = {};
  const counts = Object.fromEntries(
    BUNDLE_SECTIONS.map((s) => [s, 0]),
  ) as Record<
    BundleSection,
    number
  >;
  let integrity: z.infer<typeof IntegritySchema> | null = null;
  let integritySeen = false;
  let toc: Record<BundleSection, TocEntry[]> | null = null;
  let where = { section: null as string | null, after: null as string | null };
  const seenTop = new Set<string>();

  try {
    await reader.expect(0x7b);
    if (await reader.peek() === 0x7d) await reader.expect(0x7d);
    else {
      for (;;) {
        where = { section: null, after: null };
        const key = parseKey(await reader.readValue());
        if (seenTop.has(key)) {
          throw new StrictJsonError(`duplicate key '${key}'`, reader.offset);
        }
        seenTop.add(key);
        await reader.expect(0x3a);
        if (key === "sections") {
          top.begin("sections");
          await readSections(
            reader,
            checker,
            (t) => top.write(t),
            counts,
            onRecord,
            options.everyRecord ?? false,
            (w) => {
              where = w;
            },
          );
          top.end();
        } else {
          const { text } = await reader.readValue();
          const value = parseJsonStrict(text);
          if (key === "integrity") {
            integritySeen = true;
            const parsed = IntegritySchema.safeParse(value);
            if (parsed.success) integrity = parsed.data;
            else {
              checker.add(
                "integrity",
                null,
                `integrity block does not match the format: ${
                  firstIssue(parsed.error)
                }`,
              );
            }
          } else if (top.has(key)) {
            const schema = MEMBER_SCHEMAS[key as keyof typeof MEMBER_SCHEMAS];
            const parsed = schema.safeParse(value);
            if (!parsed.success) {
              checker.add(
                key,
                null,
                `'${key}' does not match the format: ${
                  firstIssue(parsed.error)
                }`,
              );
            } else if (key === "toc") {
              toc = parsed.data as Record<BundleSection, TocEntry[]>;
            } else header[key] = parsed.data;
            top.begin(key);
            top.write(canonicalize(value));
            top.end();
          } else {
            checker.add(null, null, `unknown top-level member '${key}'`);
          }
        }
        const next = await reader.peek();
        if (next === 0x2c) {
          await reader.expect(0x2c);
          continue;
        }
        await reader.expect(0x7d);
        break;
      }
    }
    if (!await reader.atEnd()) {
      throw new StreamSyntaxError(
        "unexpected text after the bundle",
        reader.offset,
      );
    }
  } catch (error) {
    if (
      error instanceof StreamSyntaxError || error instanceof StrictJsonError
    ) {
      const place = where.section
        ? ` in section ${where.section}${
          where.after ? ` after record '${where.after}'` : ""
        }`
        : "";
      checker.add(
        where.section,
        null,
        `bundle is not valid strict JSON${place}: ${error.message}`,
      );
      return {
        problems: checker.problems,
        sha256: null,
        integrity,
        header,
        counts,
        redacted: 0,
      };
    }
    throw error;
  }

  const missing = top.finish();
  for (const key of missing) {
    checker.add(null, null, `the bundle has no '${key}' member`);
  }
  if (!integritySeen) {
    checker.add("integrity", null, "the bundle has no integrity block");
  }
  let redacted = 0;
  const problems: Problems = [...checker.problems];
  if (toc !== null) {
    const flagged = new Set<string>();
    for (const section of BUNDLE_SECTIONS) {
      for (const entry of (toc as Record<BundleSection, TocEntry[]>)[section]) {
        if (entry.redacted) flagged.add(`${section}\u0000${entry.id}`);
      }
    }
    // A cache hit carried as a reference reads what its original holds: an
    // original whose own hash is not checked leaves the hit's request and
    // response unchecked too.
    const hitsOfRedacted = checker.references.filter((r) =>
      flagged.has(`receipts\u0000${r.from}`) &&
      !flagged.has(`receipts\u0000${r.key}`)
    ).length;
    redacted = flagged.size + hitsOfRedacted;
    problems.push(
      ...checker.domain.filter((p) =>
        !flagged.has(`${p.section}\u0000${p.key}`)
      ).map(({ section, record, message }) => ({ section, record, message })),
    );
    problems.push(...checker.toc(toc));
  } else {
    problems.push(
      ...checker.domain.map(({ section, record, message }) => ({
        section,
        record,
        message,
      })),
    );
  }
  // Workflows bind their traces' first events.
  for (const [traceId, sha] of checker.started) {
    const actual = checker.workflowSha.get(traceId);
    if (actual !== undefined && actual !== sha) {
      problems.push({
        section: "workflows",
        record: traceId,
        message:
          "workflow snapshot sha256 differs from the one its trace's workflow_started event recorded",
      });
    }
  }
  for (const r of checker.refs) {
    problems.push({
      section: r.from,
      record: r.fromKey,
      message: `${r.what} '${r.key}' is not in the bundle's ${r.target}`,
    });
  }
  problems.push(...checker.refProblems);
  problems.push(...referenceProblems(checker, header["version"]));
  return {
    problems: problems.slice(0, MAX_PROBLEMS),
    sha256: hasher.digest("hex"),
    integrity,
    header,
    counts,
    redacted,
  };
}

/**
 * A cache hit carried as a reference binds the receipt it reused: that
 * receipt's sha256 is the one it recorded, its cache key is the hit's, and
 * it is whole (not a reference itself). References are version 2 only.
 */
function referenceProblems(checker: Checker, version: unknown): Problems {
  const problems: Problems = [];
  const references = new Set(checker.references.map((r) => r.key));
  for (const r of checker.references) {
    if (version === 1) {
      problems.push({
        section: "receipts",
        record: r.key,
        message:
          "a version 1 bundle carries every receipt whole; a cache hit as a reference needs version 2",
      });
      continue;
    }
    const actual = checker.receiptSha.get(r.from);
    if (actual === undefined) continue; // reported as a missing cached_from receipt
    if (references.has(r.from)) {
      problems.push({
        section: "receipts",
        record: r.key,
        message:
          `cached_from receipt '${r.from}' is itself a reference; a cache hit names the whole receipt it reused`,
      });
    } else if (actual !== r.sha256) {
      problems.push({
        section: "receipts",
        record: r.key,
        message:
          `cached_sha256 differs from the sha256 of receipt '${r.from}' it reused (that receipt was replaced)`,
      });
    } else if (
      r.cacheKey === null || checker.cacheKeys.get(r.from) !== r.cacheKey
    ) {
      problems.push({
        section: "receipts",
        record: r.key,
        message:
          `cache_key differs from that of receipt '${r.from}' it reused: a cache hit reuses the receipt of the request its cache key names`,
      });
    }
  }
  return problems;
}

function parseKey(value: { text: string }): string {
  const key = parseJsonStrict(value.text);
  if (typeof key !== "string") {
    throw new StrictJsonError("expected a string key", 0);
  }
  return key;
}

async function readSections(
  reader: JsonStreamReader,
  checker: Checker,
  sink: (text: string) => void,
  counts: Record<BundleSection, number>,
  onRecord: RecordHandler | undefined,
  everyRecord: boolean,
  setWhere: (w: { section: string | null; after: string | null }) => void,
): Promise<void> {
  await reader.expect(0x7b);
  const inner = new OrderedMembers(BUNDLE_SECTIONS, sink);
  const seen = new Set<string>();
  if (await reader.peek() === 0x7d) {
    await reader.expect(0x7d);
  } else {
    for (;;) {
      const name = parseKey(await reader.readValue());
      if (seen.has(name)) {
        throw new StrictJsonError(
          `duplicate key '${name}' in sections`,
          reader.offset,
        );
      }
      seen.add(name);
      await reader.expect(0x3a);
      const known = inner.has(name);
      if (!known) checker.add(null, null, `unknown section '${name}'`);
      const section = name as BundleSection;
      setWhere({ section: name, after: null });
      if (known) {
        inner.begin(name);
        inner.write("[");
      }
      await reader.expect(0x5b);
      let position = 0;
      if (await reader.peek() === 0x5d) await reader.expect(0x5d);
      else {
        for (;;) {
          const { text } = await reader.readValue();
          const value = parseJsonStrict(text);
          if (known) {
            const canonical = canonicalize(value);
            inner.write(position === 0 ? canonical : `,${canonical}`);
            const { key, ok } = checker.record(section, value, position);
            checker.computed.get(section)!.push([key, sha256Hex(canonical)]);
            counts[section]++;
            setWhere({ section: name, after: key });
            if (
              onRecord && (everyRecord || (ok && checker.problems.length === 0))
            ) {
              await onRecord(section, value as Record<string, unknown>);
            }
          }
          position++;
          const next = await reader.peek();
          if (next === 0x2c) {
            await reader.expect(0x2c);
            continue;
          }
          await reader.expect(0x5d);
          break;
        }
      }
      if (known) {
        inner.write("]");
        inner.end();
        checker.close(section);
      }
      const next = await reader.peek();
      if (next === 0x2c) {
        await reader.expect(0x2c);
        continue;
      }
      await reader.expect(0x7d);
      break;
    }
  }
  setWhere({ section: null, after: null });
  for (const name of inner.finish()) {
    checker.add(name, null, `the bundle has no '${name}' section`);
    checker.close(name as BundleSection);
  }
}
