/**
 * Artifacts: content-addressed, versioned outputs of a pipeline (a draft,
 * a report, a reply). Writing the same content again is the same version;
 * a person's edit is a new version whose patch is a trace event, so what
 * the model produced before the edit stays visible.
 *
 * @module
 */
import { createTwoFilesPatch } from "diff";
import { newId } from "../content/ids.ts";
import { sha256Hex } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import {
  type ArtifactRow,
  artifactVersion,
  artifactVersions,
  insertArtifact,
  latestArtifact,
} from "../store/artifacts.ts";
import type { Store } from "../store/open.ts";
import type { Tracer } from "./tracer.ts";

/** One stored version of an artifact. */
export interface Artifact {
  /** The version's id. */
  readonly id: string;
  /** The artifact's key, e.g. `reply/ticket-42`. */
  readonly key: string;
  /** 1 for the first version, then 2, 3, ... */
  readonly version: number;
  /** sha256 hex of the body's UTF-8 bytes: the content address. */
  readonly sha256: string;
  /** The body's media type, e.g. `text/plain` or `application/json`. */
  readonly media_type: string;
  /** The content (text). */
  readonly body: string;
  /** The version this one was made from. */
  readonly parent_id: string | null;
  /** The workflow step that produced it. */
  readonly step: string | null;
  /** The trace that recorded it. */
  readonly trace_id: string | null;
  /** Who made it: a model config or step for generated versions, a person for edits. */
  readonly created_by: string | null;
  /** When. */
  readonly created_at: string;
}

/** A version to write. */
export interface WriteArtifactInput {
  /** The artifact's key. */
  key: string;
  /** The content. */
  body: string;
  /** The media type. @default {"text/plain"} */
  mediaType?: string;
  /** The workflow step producing it (must be declared in the workflow). */
  step?: string;
  /** Who produced it (e.g. the model). */
  createdBy?: string;
  /**
   * Ids the version is about, added to its event's data (e.g. `result_id`,
   * `receipt_id`, `receipt_sha256`: a bundle verifier checks receipt ids and
   * hashes). They never replace the event's own members.
   */
  binds?: Readonly<Record<string, string | number>>;
}

/** A person's edit of the latest version. */
export interface EditArtifactInput {
  /** The artifact's key. */
  key: string;
  /** The edited content. */
  body: string;
  /** Who edited it (a person). */
  editor: string;
  /** Why. */
  reason?: string;
  /** The workflow step the edit belongs to. */
  step?: string;
  /** Ids the edit is about, added to its event's data (see {@linkcode WriteArtifactInput.binds}). */
  binds?: Readonly<Record<string, string | number>>;
}

function toArtifact(row: ArtifactRow): Artifact {
  return { ...row };
}

/**
 * Writes a version of an artifact and records an `artifact_written` event
 * (with the version's id and sha256) in the same transaction. Content equal
 * to the latest version's is not written again: that version is returned.
 *
 * @param tracer The trace the version belongs to.
 * @param input Key, body, media type, step, producer.
 * @returns The stored version.
 * @throws {RangeError} If the step is not declared in the workflow.
 *
 * @example Versions by content
 * ```ts
 * import { open, Tracer, writeArtifact } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "draft", steps: [{ id: "write" }] });
 * const first = await writeArtifact(tracer, { key: "reply", body: "Hello", step: "write" });
 * const again = await writeArtifact(tracer, { key: "reply", body: "Hello" });
 * const second = await writeArtifact(tracer, { key: "reply", body: "Hello there" });
 * assert.equal(again.id, first.id);
 * assert.equal(second.version, 2);
 * ```
 */
export async function writeArtifact(
  tracer: Tracer,
  input: WriteArtifactInput,
): Promise<Artifact> {
  const latest = await latestArtifact(tracer.store, input.key);
  input = { ...input, body: tracer.secrets.scrub(input.body) };
  const sha256 = sha256Hex(input.body);
  const mediaType = input.mediaType ?? "text/plain";
  if (latest && latest.sha256 === sha256 && latest.media_type === mediaType) {
    return toArtifact(latest);
  }
  return await addVersion(tracer, latest, {
    key: input.key,
    body: input.body,
    sha256,
    mediaType,
    step: input.step ?? null,
    createdBy: input.createdBy ?? null,
    type: "artifact_written",
    extra: { ...input.binds },
  });
}

/**
 * Records a person's edit of an artifact as a new version whose unified
 * patch (from the latest version) is in the `artifact_edited` trace event;
 * the previous versions, including what the model wrote, stay as they were.
 *
 * @param tracer The trace the edit belongs to.
 * @param input Key, edited body, editor, reason.
 * @returns The new version (or the latest one, when the body is unchanged).
 * @throws {NotFoundError} If the key has no version to edit.
 *
 * @example A reviewer's edit keeps the model's original
 * ```ts
 * import { editArtifact, getArtifact, open, Tracer, writeArtifact } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "draft", steps: [{ id: "write" }] });
 * await writeArtifact(tracer, { key: "reply", body: "We will refund you.\n", createdBy: "model" });
 * const edited = await editArtifact(tracer, { key: "reply", body: "We will look into it.\n", editor: "dana" });
 * assert.equal(edited.version, 2);
 * assert.equal((await getArtifact(store, "reply", { version: 1 })).body, "We will refund you.\n");
 * ```
 */
export async function editArtifact(
  tracer: Tracer,
  input: EditArtifactInput,
): Promise<Artifact> {
  const latest = await latestArtifact(tracer.store, input.key);
  if (!latest) {
    throw new NotFoundError(
      "artifact",
      input.key,
      "write a first version with writeArtifact() before editing it",
    );
  }
  input = {
    ...input,
    body: tracer.secrets.scrub(input.body),
    ...(input.reason === undefined
      ? {}
      : { reason: tracer.secrets.scrub(input.reason) }),
  };
  const sha256 = sha256Hex(input.body);
  if (latest.sha256 === sha256) return toArtifact(latest);
  const patch = createTwoFilesPatch(
    `${input.key}@v${latest.version}`,
    `${input.key}@v${latest.version + 1}`,
    latest.body,
    input.body,
  );
  return await addVersion(tracer, latest, {
    key: input.key,
    body: input.body,
    sha256,
    mediaType: latest.media_type,
    step: input.step ?? null,
    createdBy: input.editor,
    type: "artifact_edited",
    extra: {
      ...input.binds,
      editor: input.editor,
      reason: input.reason ?? null,
      parent_sha256: latest.sha256,
      patch,
    },
  });
}

async function addVersion(
  tracer: Tracer,
  latest: ArtifactRow | undefined,
  v: {
    key: string;
    body: string;
    sha256: string;
    mediaType: string;
    step: string | null;
    createdBy: string | null;
    type: string;
    extra: Record<string, unknown>;
  },
): Promise<Artifact> {
  const mark = tracer.mark();
  const version = (latest?.version ?? 0) + 1;
  const id = newId("art");
  const event = tracer.next(v.type, {
    ...(v.step === null ? {} : { step: v.step }),
    data: {
      ...v.extra,
      artifact_id: id,
      key: v.key,
      version,
      artifact_sha256: v.sha256,
      media_type: v.mediaType,
      parent_id: latest?.id ?? null,
    },
  });
  const row: ArtifactRow = {
    id,
    key: v.key,
    version,
    sha256: v.sha256,
    media_type: v.mediaType,
    body: v.body,
    parent_id: latest?.id ?? null,
    step: v.step,
    trace_id: tracer.traceId,
    created_by: v.createdBy,
    created_at: event.at,
  };
  try {
    await insertArtifact(tracer.store, row, [event]);
  } catch (error) {
    tracer.reset(mark);
    throw error;
  }
  return toArtifact(row);
}

/** Which version {@linkcode getArtifact} reads. */
export interface GetArtifactOptions {
  /** The version number. @default {the latest} */
  version?: number;
}

/**
 * Reads a version of an artifact.
 *
 * @param store The database.
 * @param key The artifact's key.
 * @param options Which version (the latest by default).
 * @returns The version.
 * @throws {NotFoundError} If the key or version does not exist.
 *
 * @example The latest version
 * ```ts
 * import { getArtifact, open, Tracer, writeArtifact } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * await writeArtifact(tracer, { key: "k", body: "one" });
 * await writeArtifact(tracer, { key: "k", body: "two" });
 * assert.equal((await getArtifact(store, "k")).body, "two");
 * ```
 */
export async function getArtifact(
  store: Store,
  key: string,
  options: GetArtifactOptions = {},
): Promise<Artifact> {
  const row = options.version === undefined
    ? await latestArtifact(store, key)
    : await artifactVersion(store, key, options.version);
  if (!row) {
    throw new NotFoundError(
      "artifact",
      options.version === undefined ? key : `${key}@v${options.version}`,
    );
  }
  return toArtifact(row);
}

/**
 * Every version of an artifact, oldest first.
 *
 * @param store The database.
 * @param key The artifact's key.
 * @returns The versions (empty when the key is unknown).
 *
 * @example Listing versions
 * ```ts
 * import { listArtifactVersions, open, Tracer, writeArtifact } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * await writeArtifact(tracer, { key: "k", body: "one" });
 * await writeArtifact(tracer, { key: "k", body: "two" });
 * assert.deepEqual((await listArtifactVersions(store, "k")).map((a) => a.version), [1, 2]);
 * ```
 */
export async function listArtifactVersions(
  store: Store,
  key: string,
): Promise<Artifact[]> {
  return (await artifactVersions(store, key)).map(toArtifact);
}

/** Which versions {@linkcode diffArtifactVersions} compares. */
export interface DiffArtifactOptions {
  /** The older version. @default {1 (the original)} */
  from?: number;
  /** The newer version. @default {the latest} */
  to?: number;
}

/**
 * A unified diff between two versions of an artifact (by default the
 * original and the latest): what was changed after the model wrote it.
 *
 * @param store The database.
 * @param key The artifact's key.
 * @param options The versions to compare.
 * @returns The patch text (no hunks when equal).
 * @throws {NotFoundError} If a version does not exist.
 *
 * @example What the reviewer changed
 * ```ts
 * import { diffArtifactVersions, editArtifact, open, Tracer, writeArtifact } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * const tracer = await Tracer.start(store, { schema_version: 1, name: "w", steps: [{ id: "a" }] });
 * await writeArtifact(tracer, { key: "reply", body: "Refund approved.\n" });
 * await editArtifact(tracer, { key: "reply", body: "Refund under review.\n", editor: "dana" });
 * const patch = await diffArtifactVersions(store, "reply");
 * assert.match(patch, /-Refund approved\./);
 * assert.match(patch, /\+Refund under review\./);
 * ```
 */
export async function diffArtifactVersions(
  store: Store,
  key: string,
  options: DiffArtifactOptions = {},
): Promise<string> {
  const to = await getArtifact(
    store,
    key,
    options.to === undefined ? {} : { version: options.to },
  );
  const from = await getArtifact(store, key, { version: options.from ?? 1 });
  return createTwoFilesPatch(
    `${key}@v${from.version}`,
    `${key}@v${to.version}`,
    from.body,
    to.body,
  );
}
