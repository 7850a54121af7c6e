import assert from "node:assert/strict";
import { parsePatch } from "diff";
import { sha256Hex } from "../content/sha256.ts";
import { NotFoundError } from "../errors.ts";
import { open } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import {
  diffArtifactVersions,
  editArtifact,
  getArtifact,
  listArtifactVersions,
  writeArtifact,
} from "./artifacts.ts";
import { verifyChain } from "./event.ts";
import { Tracer } from "./tracer.ts";

const WORKFLOW = {
  schema_version: 1 as const,
  name: "drafting",
  steps: [{ id: "draft" }, { id: "review", after: ["draft"] }],
};

Deno.test("writeArtifact() addresses versions by content", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const v1 = await writeArtifact(tracer, {
    key: "summary",
    body: '{"a":1}',
    mediaType: "application/json",
    step: "draft",
    createdBy: "claude-haiku-4-5",
  });
  assert.equal(v1.version, 1);
  assert.equal(v1.sha256, sha256Hex('{"a":1}'));
  assert.equal(v1.trace_id, tracer.traceId);
  const same = await writeArtifact(tracer, {
    key: "summary",
    body: '{"a":1}',
    mediaType: "application/json",
  });
  assert.equal(same.id, v1.id);
  const v2 = await writeArtifact(tracer, {
    key: "summary",
    body: '{"a":2}',
    mediaType: "application/json",
  });
  assert.equal(v2.version, 2);
  assert.equal(v2.parent_id, v1.id);
  const events = await listTraceEvents(store, tracer.traceId);
  assert.deepEqual(events.map((e) => e.type), [
    "workflow_started",
    "artifact_written",
    "artifact_written",
  ]);
  assert.equal(events[1]!.data["artifact_sha256"], v1.sha256);
});

Deno.test("editArtifact() keeps the model's original and puts the patch in the trace", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  const original = "Dear customer,\nWe will refund you today.\nRegards\n";
  const edited =
    "Dear customer,\nA colleague will review your refund.\nRegards\n";
  await writeArtifact(tracer, {
    key: "reply",
    body: original,
    step: "draft",
    createdBy: "model",
  });
  const v2 = await editArtifact(tracer, {
    key: "reply",
    body: edited,
    editor: "dana",
    reason: "no refund promises",
    step: "review",
  });
  assert.equal(v2.created_by, "dana");
  assert.equal(
    (await getArtifact(store, "reply", { version: 1 })).body,
    original,
  );
  assert.equal((await getArtifact(store, "reply")).body, edited);
  const events = await listTraceEvents(store, tracer.traceId);
  assert.equal(verifyChain(events), null);
  const edit = events.find((e) => e.type === "artifact_edited")!;
  assert.equal(edit.data["editor"], "dana");
  assert.equal(edit.data["parent_sha256"], sha256Hex(original));
  const [patch] = parsePatch(edit.data["patch"] as string);
  const lines = patch!.hunks.flatMap((h) => h.lines);
  assert.ok(lines.includes("-We will refund you today."));
  assert.ok(lines.includes("+A colleague will review your refund."));
  assert.equal(
    await diffArtifactVersions(store, "reply"),
    edit.data["patch"],
  );
  assert.deepEqual(
    (await listArtifactVersions(store, "reply")).map((a) => a.created_by),
    ["model", "dana"],
  );
});

Deno.test("editArtifact() refuses a key with nothing to edit; getArtifact() a missing version", async () => {
  await using store = await open(":memory:");
  const tracer = await Tracer.start(store, WORKFLOW);
  await assert.rejects(
    () => editArtifact(tracer, { key: "nope", body: "x", editor: "dana" }),
    NotFoundError,
  );
  await writeArtifact(tracer, { key: "k", body: "x" });
  await assert.rejects(() => getArtifact(store, "k", { version: 3 }), /k@v3/);
});
