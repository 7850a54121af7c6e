import { sql as rawSql } from "kysely";
import assert from "node:assert/strict";
import { contentHash } from "../content/sha256.ts";
import type { Receipt } from "../schema/receipt.ts";
import type { TraceEvent } from "../schema/trace_event.ts";
import { openCellWriter } from "./cell_writer.ts";
import { open, type Store } from "./open.ts";
import { type CellWrite, insertRun } from "./runs.ts";

const RUN = {
  id: "run_writer",
  experiment_id: "exp_writer",
  task: "t",
  task_id: "t1",
  prompt_version_id: "t@v1",
  model_config_id: "fake-fast",
  model_config_sha256: "0".repeat(64),
  judge_config_id: null,
  dataset_id: "d1",
  repetitions: 3,
  status: "running" as const,
  flags: [],
  workflow: { schema_version: 1, name: "w", steps: [{ id: "generate" }] },
  trace_id: "trace_writer",
  created_at: "2026-01-01T00:00:00.000Z",
  finished_at: null,
};

/** Cells whose receipts hold text beyond Latin-1, nulls, floats and integers. */
function cells(first: number, count: number): CellWrite[] {
  return Array.from({ length: count }, (_, n) => {
    const i = first + n;
    const text = i % 3 === 0
      ? null
      : `{"answer": "Résumé ${i} — 日本 \u{1F600}", "quote": "\\""}`;
    const body: Omit<Receipt, "sha256"> = {
      id: `io_${i}`,
      run_id: RUN.id,
      trace_id: RUN.trace_id,
      purpose: "generate",
      provider: "fake",
      model: "fake-fast-1",
      model_config_id: "fake-fast",
      request: {
        system: "Be brief.",
        messages: [{ role: "user", content: `case ${i}\nline two` }],
        params: { temperature: 0.2 },
        repetition: i % 3,
      },
      response: text === null ? null : {
        text,
        usage: {
          input_tokens: 10 + i,
          output_tokens: 5,
          cache_read_tokens: null,
          cache_write_tokens: null,
        },
        response_id: `r${i}`,
        model: "fake-fast-1",
        stop_reason: "end",
      },
      text,
      usage: text === null ? null : {
        input_tokens: 10 + i,
        output_tokens: 5,
        cache_read_tokens: null,
        cache_write_tokens: null,
      },
      cost: text === null ? null : "0.000012",
      uncached_cost: text === null ? null : "0.000012",
      currency: "USD",
      price_id: null,
      latency_ms: 12.345 + i,
      status: text === null ? "error" : "ok",
      error: text === null ? { kind: "server", message: "boom" } : null,
      attempts: 1 + (i % 2),
      cache_key: `key_${i}`,
      cached_from: null,
      provider_response_id: text === null ? null : `r${i}`,
      stop_reason: text === null ? null : "end",
      created_at: "2026-01-01T00:00:01.000Z",
    };
    const receipt: Receipt = { ...body, sha256: contentHash(body) };
    const event: TraceEvent = {
      trace_id: RUN.trace_id,
      index: i,
      type: "step_finished",
      step: "generate",
      at: "2026-01-01T00:00:01.000Z",
      data: { case: `c${i}`, receipt_id: receipt.id },
      prev_hash: "0".repeat(64),
      hash: i.toString(16).padStart(64, "0"),
    };
    return {
      receipts: [receipt],
      result: {
        id: `res_${i}`,
        run_id: RUN.id,
        case_key: `c${Math.floor(i / 3)}`,
        repetition: i % 3,
        slice: "typical",
        generation_io_id: receipt.id,
        judge_io_ids: [],
        output: text,
        status: text === null ? "provider_error" : "ok",
        checks: text === null
          ? {}
          : { exact_match: { pass: true, score: 1, detail: "é" } },
        rubric: null,
        judge_error: null,
        created_at: "2026-01-01T00:00:01.000Z",
        scored_at: "2026-01-01T00:00:01.000Z",
      },
      events: [event],
    };
  });
}

async function dump(store: Store): Promise<unknown[]> {
  const out: unknown[] = [];
  for (
    const sql of [
      "SELECT * FROM model_io ORDER BY id",
      "SELECT sha256, body, typeof(body) FROM bodies ORDER BY sha256",
      "SELECT * FROM results ORDER BY id",
      'SELECT trace_id, "index", type, step, at, data, prev_hash, hash, typeof(data) FROM trace_events ORDER BY "index"',
      "SELECT typeof(request_sha256), typeof(latency_ms), typeof(attempts), typeof(text) FROM model_io ORDER BY id",
    ]
  ) {
    const rows = await rawSql.raw(sql).execute(store.db);
    out.push(rows.rows.map((r) => Object.values(r as Record<string, unknown>)));
  }
  return out;
}

Deno.test("openCellWriter() writes the same rows from its writer thread as in this thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dumps: unknown[] = [];
    for (const thread of ["on", "off"] as const) {
      await using store = await open(`file:${dir}/${thread}.db`);
      await insertRun(store, RUN);
      const writer = await openCellWriter(store, 0, { thread });
      assert.equal(writer.threaded, thread === "on");
      await writer.write(cells(0, 250));
      await writer.write(cells(250, 7));
      await writer.close();
      dumps.push(await dump(store));
    }
    assert.deepEqual(dumps[0], dumps[1]);
    assert.equal((dumps[0] as unknown[][])[0]!.length, 257);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openCellWriter() in a thread writes a failing batch not at all, and goes on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await open(`file:${dir}/fail.db`);
    await insertRun(store, RUN);
    const writer = await openCellWriter(store, 0, { thread: "on" });
    await writer.write(cells(0, 5));
    // Cells 3..7 repeat receipts 3 and 4: the whole batch is refused.
    await assert.rejects(writer.write(cells(3, 5)), /UNIQUE|constraint/i);
    await writer.write(cells(5, 5));
    await writer.close();
    const count = await rawSql.raw(
      "SELECT (SELECT count(*) FROM model_io) AS a, (SELECT count(*) FROM results) AS b, (SELECT count(*) FROM trace_events) AS c",
    ).execute(store.db);
    assert.deepEqual(count.rows, [{ a: 10, b: 10, c: 10 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openCellWriter() keeps in-memory databases in this thread", async () => {
  await using store = await open(":memory:");
  const writer = await openCellWriter(store, 1_000_000, { thread: "on" });
  assert.equal(writer.threaded, false);
  await writer.close();
});

Deno.test("openCellWriter()'s module leaves this thread's global onmessage alone (only the writer thread takes it)", () => {
  // This file imports cell_writer.ts; had that evaluated the worker's module,
  // the worker's message handler would be this thread's global onmessage.
  assert.equal(
    (globalThis as { onmessage?: unknown }).onmessage ?? null,
    null,
  );
});
