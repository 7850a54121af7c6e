import assert from "node:assert/strict";
import { eachStore } from "../store/test_stores.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { compare } from "../compare/compare.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import Anthropic from "@anthropic-ai/sdk";
import { contentHash } from "../content/sha256.ts";
import { SECRET_PATTERN } from "../trace/secrets.ts";
import { Tracer } from "../trace/tracer.ts";
import { wrapAnthropic } from "../trace/wrap_anthropic.ts";
import { bundle } from "./bundle.ts";
import { importBundle } from "./import_bundle.ts";
import { verifyBundle } from "./verify_bundle.ts";
import { writeFixture } from "./_test_fixture.ts";

eachStore.test("bundle() of a comparison binds both runs, the catalog, gates, decisions and alias moves", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const result = await bundle(store, { comparison: fixture.comparison });
  const doc = JSON.parse(result.text!);
  assert.equal(doc.format, "llm-workbench.bundle");
  assert.equal(doc.version, 2);
  assert.deepEqual(doc.scope, {
    comparison: "cmp_01",
    runs: [],
    traces: [],
  });
  const ids = (section: string, key = "id") =>
    doc.sections[section].map((r: Record<string, unknown>) => r[key]);
  assert.deepEqual(ids("runs"), [fixture.baseline, fixture.candidate]);
  assert.deepEqual(ids("prompt_versions"), [
    "support_triage@v1",
    "support_triage@v2",
  ]);
  assert.equal(doc.sections.test_cases.length, 3);
  assert.equal(doc.sections.datasets.length, 1);
  assert.equal(doc.sections.model_configs.length, 1);
  assert.equal(doc.sections.prices.length, 1);
  assert.equal(doc.sections.results.length, 6);
  assert.equal(doc.sections.scorecards.length, 2);
  assert.deepEqual(ids("gates"), ["gate_01"]);
  assert.deepEqual(ids("gate_decisions"), ["dec_01", "dec_02"]);
  assert.equal(
    doc.sections.alias_moves[0].prompt_version_id,
    "support_triage@v2",
  );
  assert.deepEqual(ids("workflows", "trace_id"), [
    "trace_compare01",
    "trace_gate01",
    "trace_run_baseline01",
    "trace_run_candidate01",
  ]);
  assert.deepEqual(ids("artifacts").length, 2);
  // Receipts in the shape their own sha256 covers.
  for (const receipt of doc.sections.receipts) {
    const { sha256, ...rest } = receipt;
    assert.equal(contentHash(rest), sha256);
  }
  // The file is the canonical payload with the integrity block appended.
  const { integrity, ...payload } = doc;
  assert.ok(result.text!.startsWith(JSON.stringify(payload).slice(0, 20)));
  assert.equal(integrity.sha256, result.sha256);
  assert.equal(integrity.signature, null);
});

eachStore.test("bundle() of one run leaves the other run out", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const { text } = await bundle(store, { runs: ["run_baseline0"] });
  const doc = JSON.parse(text!);
  assert.deepEqual(doc.scope.runs, [fixture.baseline]);
  assert.equal(doc.sections.runs.length, 1);
  assert.equal(doc.sections.receipts.length, 3);
  assert.equal(doc.sections.comparisons.length, 0);
  assert.equal(doc.sections.artifacts.length, 0);
  assert.equal((await verifyBundle(text!)).ok, true);
});

eachStore.test("bundle() refuses an empty scope and unknown ids", async ({ openStore }) => {
  await using store = await openStore();
  await assert.rejects(() => bundle(store, {}), RangeError);
  await assert.rejects(
    () => bundle(store, { runs: ["run_nope"] }),
    NotFoundError,
  );
  await assert.rejects(
    () => bundle(store, { trace: "trace_nope" }),
    NotFoundError,
  );
  await assert.rejects(
    () => bundle(store, { trace: "x", redact: ["customer_message"] }),
    /input.<field>/,
  );
});

eachStore.test("bundle() streams to a file that verifies from a file stream", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/b.json`;
    const result = await bundle(store, {
      comparison: fixture.comparison,
      to: path,
    });
    assert.equal(result.text, undefined);
    assert.equal((await Deno.stat(path)).size, result.bytes);
    using file = await Deno.open(path);
    const check = await verifyBundle(file.readable);
    assert.equal(check.ok, true);
    assert.equal(check.sha256, result.sha256);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

eachStore.test("bundle() redacts named input fields everywhere they were copied, and still verifies", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const result = await bundle(store, {
    comparison: fixture.comparison,
    redact: ["input.customer_message"],
  });
  const text = result.text!;
  for (const message of fixture.messages) {
    assert.ok(!text.includes(message), `"${message}" left in the bundle`);
  }
  const doc = JSON.parse(text);
  assert.deepEqual(doc.redactions, ["input.customer_message"]);
  const first = doc.sections.test_cases[0];
  assert.deepEqual(first.input.customer_message, {
    redacted: `sha256:${contentHash(fixture.messages[0])}`,
  });
  assert.equal(first.input.account_context.customer_name, "Ada");
  assert.ok(result.redacted >= 3 + 6);
  const check = await verifyBundle(text);
  assert.deepEqual(check.problems, []);
  assert.equal(check.redacted, result.redacted);
  assert.match(check.summary, /redacted/);
});

eachStore.test("bundle() of one comparison holds that verdict only; a bundle of runs holds every verdict between them", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const reversed = await compare(store, {
    baseline: fixture.candidate,
    candidate: fixture.baseline,
  });
  const one = JSON.parse(
    (await bundle(store, { comparison: fixture.comparison })).text!,
  );
  assert.deepEqual(
    one.sections.comparisons.map((c: { id: string }) => c.id),
    [fixture.comparison],
  );
  const both = JSON.parse(
    (await bundle(store, { runs: [fixture.baseline, fixture.candidate] }))
      .text!,
  );
  assert.deepEqual(
    both.sections.comparisons.map((c: { id: string }) => c.id).sort(),
    [fixture.comparison, reversed.id].sort(),
  );
});

eachStore.test("bundle() refuses a redaction path no test case has, naming the fields there are", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const dir = await Deno.makeTempDir();
  try {
    const to = `${dir}/b.json`;
    await assert.rejects(
      () =>
        bundle(store, {
          comparison: fixture.comparison,
          redact: ["input.customer_mesage"],
          to,
        }),
      (e: unknown) =>
        e instanceof ValidationError &&
        /cannot redact "input\.customer_mesage": no test case in the bundle has that field; the cases' fields are .*input\.customer_message/
          .test(e.message),
    );
    // Nothing was written.
    await assert.rejects(() => Deno.stat(to), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

eachStore.test("bundle() of a pipeline run with an API key in the environment contains no key", async ({ openStore }) => {
  const key = `sk-ant-api03-${crypto.randomUUID().replaceAll("-", "")}AA`;
  // A variable of its own (tests run in parallel; ANTHROPIC_API_KEY is left
  // alone), named like a key so the writer's environment scan covers it.
  const variable = "WB_BUNDLE_TEST_API_KEY";
  Deno.env.set(variable, key);
  // A stub that misbehaves: it echoes the key back in the answer.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const body = await request.json();
      const echoed = request.headers.get("x-api-key") ?? "";
      if (body.messages[0].content === "fail") {
        return Response.json(
          {
            type: "error",
            error: {
              type: "authentication_error",
              message: `bad key ${echoed}`,
            },
          },
          { status: 401 },
        );
      }
      return Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: body.model,
        content: [{ type: "text", text: `your key is ${echoed}` }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 4 },
      });
    },
  );
  try {
    await using store = await openStore();
    const tracer = await Tracer.start(store, {
      schema_version: 1,
      name: "bot",
      steps: [{ id: "answer" }],
    });
    const client = wrapAnthropic(
      new Anthropic({
        apiKey: Deno.env.get(variable)!,
        baseURL: `http://127.0.0.1:${server.addr.port}`,
        maxRetries: 0,
      }),
      tracer,
      { step: "answer" },
    );
    await client.messages.create({
      model: "claude-haiku-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hello" }],
    });
    await assert.rejects(() =>
      client.messages.create({
        model: "claude-haiku-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "fail" }],
      })
    );
    const { text } = await bundle(store, { trace: tracer.traceId });
    assert.ok(!text!.includes(key));
    SECRET_PATTERN.lastIndex = 0;
    assert.equal(SECRET_PATTERN.exec(text!), null);
    assert.ok(!/x-api-key"\s*:|"authorization"\s*:/i.test(text!));
    const check = await verifyBundle(text!);
    assert.equal(check.ok, true, check.summary);
    assert.equal(check.counts.receipts, 2);
    await using other = await openStore();
    await importBundle(other, text!);
  } finally {
    await server.shutdown();
    Deno.env.delete(variable);
  }
});

eachStore.test("bundle() of a settled comparison records how its verdict was reached, with the receipts settling added", async ({ openStore }) => {
  await using store = await openStore();
  await loadCatalog(store);
  const { runs } = await experiment(store, {
    task: "support_triage",
    prompts: ["v3", "v5"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-002", "st-019", "st-025", "st-028", "st-030"],
  });
  const [baseline, candidate] = runs.map((r) => r.run_id) as [string, string];
  const verdict = await compare(store, {
    baseline,
    candidate,
    limits: { slice: -0.03, dimension: -0.1 },
    settle: { budget: { calls: 40 } },
  });
  const settle = verdict.settle!;
  assert.ok(settle.calls > 0, "settling bought repetitions");
  const doc = JSON.parse(
    (await bundle(store, { comparison: verdict.id })).text!,
  );
  const [stored] = doc.sections.comparisons;
  assert.deepEqual(stored.body.settle, settle);
  const looks = doc.sections.trace_events.filter((e: { type: string }) =>
    e.type === "verdict_settled_look"
  );
  assert.equal(
    looks.length,
    settle.looks.filter((l) => l.added.length > 0).length,
  );
  // Every result of both runs is in the bundle, those settling added too.
  const added = settle.looks.flatMap((l) => l.added).reduce(
    (n, a) => n + a.repetitions,
    0,
  );
  assert.equal(doc.sections.results.length, 2 * (18 + added));
  assert.ok(
    (await verifyBundle(
      new TextEncoder().encode(JSON.stringify(doc)),
    )).ok,
  );
});

eachStore.test("bundle() of the same comparison twice gives the same payload sha256", async ({ openStore }) => {
  await using store = await openStore();
  const fixture = await writeFixture(store);
  const first = await bundle(store, {
    comparison: fixture.comparison,
    now: () => "2030-01-01T00:00:00.000Z",
  });
  const second = await bundle(store, {
    comparison: fixture.comparison,
    now: () => "2031-06-01T12:00:00.000Z",
  });
  assert.equal(second.sha256, first.sha256);
  assert.equal(second.text, first.text);
  // created_at is the newest timestamp of the evidence, not the clock's.
  const doc = JSON.parse(first.text!);
  const times = Object.values(doc.sections).flatMap((records) =>
    (records as Record<string, unknown>[]).flatMap((r) =>
      ["created_at", "finished_at", "scored_at", "at"].map((k) => r[k])
        .filter((v): v is string => typeof v === "string")
    )
  );
  assert.equal(doc.created_at, times.toSorted().at(-1));
  assert.notEqual(doc.created_at, "2030-01-01T00:00:00.000Z");
});
