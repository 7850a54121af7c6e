import { sealedContent } from "../schema/receipt.ts";
import { sql as rawSql } from "kysely";
import { eachStore } from "../store/test_stores.ts";
import assert from "node:assert/strict";
import { Decimal } from "decimal.js";
import { loadCatalog } from "../catalog/load_catalog.ts";
import type { ModelAdapter } from "../providers/adapter.ts";
import type { ModelRequest } from "../schema/model_call.ts";
import { createAdapter } from "../providers/create_adapter.ts";
import {
  errorReply,
  hang,
  rateLimited,
  startWireStub,
} from "../providers/_wire_stub.ts";
import type { ModelConfig } from "../schema/model.ts";
import { open, type Store } from "../store/open.ts";
import { listTraceEvents } from "../store/trace.ts";
import {
  cellRows,
  getRun,
  listExperimentRuns,
  receiptFromRow,
} from "../store/runs.ts";
import { listReceipts, listResults } from "../store/scores.ts";
import { withBodies } from "../store/bodies.ts";
import { ConfigError, ConflictError, NotFoundError } from "../errors.ts";
import { getModelConfig } from "../store/catalog.ts";
import { contentHash } from "../content/sha256.ts";
import { verifyChain } from "../trace/event.ts";
import { cacheKey } from "./cache_key.ts";
import { experiment, resumeExperiment } from "./experiment.ts";
import { type NulOutputs, runNulOutputs } from "./testdata/nul_outputs.ts";
import { DENO_RUN, DENO_RUN_NET } from "../_deno_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function loaded(openStore: () => Promise<Store>): Promise<Store> {
  const store = await openStore();
  await loadCatalog(store, { root: ROOT });
  return store;
}

/** Wraps the real adapters, counting calls by (case, repetition, purpose). */
function counting(calls: string[]): (config: ModelConfig) => ModelAdapter {
  return (config) => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call(request) {
        const purpose = request.hints?.judged_output === undefined
          ? "generate"
          : "judge";
        calls.push(
          `${request.hints?.case_id}#${request.repetition}#${purpose}`,
        );
        return inner.call(request);
      },
    };
  };
}

/** The rows of a query as arrays, in column order (give every column its own name). */
async function rows(store: Store, sql: string): Promise<unknown[][]> {
  const result = await rawSql.raw(sql).execute(store.db);
  return result.rows.map((r) => Object.values(r as Record<string, unknown>));
}

eachStore.test("experiment() survives injected 429s, 500s and timeouts with every cell accounted for", async ({ openStore }) => {
  // About 20% of requests fail (a 429 with retry-after, a 500, or a hang
  // ended by its deadline), at most once per distinct request, so their
  // retry succeeds; two cases fail on every attempt and must be recorded as
  // failures. Only the calls the stub hangs time out: each attempt's
  // deadline is aborted by the stub when it hangs that call, never by a
  // timer, so a slow normal reply is not a timeout.
  const injected = new Map<string, number>();
  const doomed = ["rm-004", "rm-017"];
  const deadlines = new Map<string, AbortController>();
  const callKey = (request: ModelRequest) =>
    `${request.hints?.case_id}#${request.repetition}`;
  await using stub = startWireStub("openai", {
    plan(index, request) {
      const body = request.json as { messages: { content: string }[] };
      const content = body.messages.at(-1)!.content;
      const key = /^\[case ([^\]]+)\]/.exec(content)![1]!;
      if (doomed.some((id) => key.startsWith(`${id}#`))) {
        return errorReply("openai", 500);
      }
      if (index % 5 !== 2 || injected.has(request.text)) return undefined;
      injected.set(request.text, index);
      if (index % 3 === 2) deadlines.get(key)!.abort();
      return [
        rateLimited("openai", { retryAfterMs: "5" }),
        errorReply("openai", 500),
        hang("openai", 5_000),
      ][index % 3];
    },
  });
  await using store = await loaded(openStore);
  const stubbed = (config: ModelConfig): ModelAdapter =>
    createAdapter(
      {
        ...config,
        provider: "openai",
        model: "gpt-4o-mini",
        base_url: stub.baseUrl,
        api_key_env: "WB_STUB_KEY",
        options: {},
      },
      { env: () => "sk-stub" },
    );
  // Tag each rendered message with its cell so the stub can pick cases and
  // end the attempt it hangs.
  const tagged = (config: ModelConfig): ModelAdapter => {
    const inner = stubbed(config);
    return {
      provider: inner.provider,
      model: inner.model,
      call: (request) =>
        inner.call({
          ...request,
          messages: request.messages.map((m) => ({
            ...m,
            content: `[case ${callKey(request)}] ${m.content}`,
          })),
        }),
    };
  };
  const result = await experiment(store, {
    task: "resume_matching",
    prompts: ["v2"],
    models: ["fake-fast"],
    cache: "off",
    concurrency: 8,
    retry: { retries: 2, baseDelayMs: 1 },
    callDeadline: (request) => {
      const deadline = new AbortController();
      deadlines.set(callKey(request), deadline);
      return deadline.signal;
    },
    adapterFor: tagged,
  });
  const run = result.runs[0]!;
  assert.equal(run.status, "completed");
  assert.equal(run.cells, 90);
  assert.equal(run.committed, 90);
  assert.equal(run.failures, doomed.length * 3);
  const cells = await rows(
    store,
    `SELECT count(*) AS n, count(DISTINCT case_key || '#' || repetition) AS cells FROM results WHERE run_id = '${run.run_id}'`,
  );
  assert.deepEqual(cells[0]!.map(Number), [90, 90]);
  const failed = await rows(
    store,
    `SELECT r.case_key, r.status AS cell_status, m.status AS io_status, m.error, m.attempts FROM results r JOIN model_io m ON m.id = r.generation_io_id
     WHERE r.run_id = '${run.run_id}' AND r.status = 'provider_error' ORDER BY r.case_key`,
  );
  assert.equal(failed.length, 6);
  for (const [caseKey, , ioStatus, error, tries] of failed) {
    assert.ok(doomed.includes(String(caseKey)));
    assert.equal(ioStatus, "error");
    assert.equal(JSON.parse(String(error)).kind, "server");
    assert.equal(Number(tries), 3);
  }
  const retried = await rows(
    store,
    `SELECT count(*) FROM model_io WHERE run_id = '${run.run_id}' AND status = 'ok' AND attempts = 2`,
  );
  assert.equal(
    Number(retried[0]![0]),
    injected.size,
    "every injected failure was retried and succeeded",
  );
  assert.ok(injected.size >= 10);
  const kinds = new Set([...injected.values()].map((i) => i % 3));
  assert.equal(kinds.size, 3, "429s, 500s and timeouts were all injected");
  // The scorecard says what the failed attempts were and what they cost in waiting.
  const [[body]] = await rows(
    store,
    `SELECT body FROM scorecards WHERE run_id = '${run.run_id}'`,
  ) as [[string]];
  const attempts = JSON.parse(body).attempts;
  const injectedOf = (k: number) =>
    [...injected.values()].filter((i) => i % 3 === k).length;
  assert.equal(attempts.rate_limited, injectedOf(0));
  assert.deepEqual(attempts.by_kind, {
    rate_limit: injectedOf(0),
    server: injectedOf(1) + doomed.length * 3 * 3,
    timeout: injectedOf(2),
  });
  assert.equal(attempts.retried_calls, injected.size + doomed.length * 3);
  assert.equal(attempts.failed_calls, doomed.length * 3);
  assert.ok(attempts.rate_limited_wait_ms >= 5 * injectedOf(0));
  assert.ok(attempts.wait_ms >= attempts.rate_limited_wait_ms);
});

eachStore.test("experiment() run twice with the cache makes no adapter call the second time", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const options = {
    task: "support_triage",
    prompts: ["v2"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-020"],
  };
  const first: string[] = [];
  const a = await experiment(store, {
    ...options,
    adapterFor: counting(first),
  });
  assert.ok(first.length >= 6);
  const second: string[] = [];
  const b = await experiment(store, {
    ...options,
    adapterFor: counting(second),
  });
  assert.deepEqual(second, []);
  assert.equal(b.runs[0]!.adapter_calls, 0);
  assert.equal(b.runs[0]!.cache_hits, a.runs[0]!.adapter_calls);
  assert.equal(b.runs[0]!.cost, "0");
  assert.equal(new Decimal(b.runs[0]!.uncached_cost).eq(a.runs[0]!.cost), true);
  const outputs = await rows(
    store,
    `SELECT a.output = b.output FROM results a JOIN results b ON a.case_key = b.case_key AND a.repetition = b.repetition
     WHERE a.run_id = '${a.runs[0]!.run_id}' AND b.run_id = '${
      b.runs[0]!.run_id
    }'`,
  );
  assert.equal(outputs.length, 6);
  assert.ok(outputs.every((r) => Number(r[0]) === 1));
  const refreshed: string[] = [];
  await experiment(store, {
    ...options,
    cache: "refresh",
    adapterFor: counting(refreshed),
  });
  assert.equal(refreshed.length, first.length);
});

eachStore.test("experiment() total cost is the exact decimal sum of its receipts", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const result = await experiment(store, {
    task: "resume_matching",
    prompts: ["v3", "v4"],
    models: ["fake-fast", "fake-thorough"],
    judge: "fake-judge",
    cases: ["rm-001", "rm-019", "rm-028"],
  });
  assert.equal(result.runs.length, 4);
  for (const run of result.runs) {
    const costs = await rows(
      store,
      `SELECT cost FROM model_io WHERE run_id = '${run.run_id}'`,
    );
    assert.equal(costs.length, 9 * 2);
    const sum = costs.reduce(
      (s: Decimal, [c]) => s.plus(String(c)),
      new Decimal(0),
    );
    assert.equal(sum.toString(), new Decimal(run.cost).toString());
    assert.ok(sum.gt(0));
    for (const [c] of costs) assert.match(String(c), /^\d+\.\d{6,}$/);
  }
});

eachStore.test("experiment() refuses fewer than 3 repetitions unless asked, then flags the run", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const base = {
    task: "resume_matching",
    prompts: ["v2"],
    models: ["fake-fast"],
    cases: ["rm-001"],
  };
  await assert.rejects(
    () => experiment(store, { ...base, repetitions: 1 }),
    /1 repetitions leave variance unmeasured/,
  );
  const result = await experiment(store, {
    ...base,
    repetitions: 1,
    allowFewerRepetitions: true,
  });
  const run = await getRun(store, result.runs[0]!.run_id);
  assert.ok(run.flags.includes("fewer_than_3_repetitions"));
});

eachStore.test("experiment() stops on abort and resumes without repeating a committed call", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const controller = new AbortController();
  const calls: string[] = [];
  const inner = counting(calls);
  const first = await experiment(store, {
    task: "resume_matching",
    prompts: ["v2"],
    models: ["fake-fast"],
    concurrency: 2,
    signal: controller.signal,
    adapterFor: (config) => {
      const adapter = inner(config);
      return {
        ...adapter,
        call(request) {
          if (calls.length >= 20) controller.abort();
          return adapter.call(request);
        },
      };
    },
  });
  assert.equal(first.runs[0]!.status, "interrupted");
  const runId = first.runs[0]!.run_id;
  // Every call sent is receipted, or counted as sent but never receipted.
  const attempts = Number(
    (await rows(
      store,
      `SELECT coalesce(sum(attempts), 0) FROM model_io WHERE run_id = '${runId}'`,
    ))[0]![0],
  );
  assert.equal(attempts + first.runs[0]!.unreceipted_calls, calls.length);
  const done = new Set(
    (await rows(
      store,
      `SELECT case_key || '#' || repetition FROM results WHERE run_id = '${runId}'`,
    )).map((r) => String(r[0])),
  );
  assert.ok(done.size > 0 && done.size < 90);
  const again: string[] = [];
  const resumed = await resumeExperiment(store, runId, {
    adapterFor: counting(again),
  });
  assert.equal(resumed.runs[0]!.status, "completed");
  assert.equal(again.length, 90 - done.size);
  for (const call of again) {
    assert.ok(
      !done.has(call.replace(/#generate$/, "")),
      `${call} was called again`,
    );
  }
  const events = await listTraceEvents(
    store,
    (await getRun(store, runId)).trace_id,
  );
  assert.equal(verifyChain(events), null);
  assert.ok(events.some((e) => e.type === "run_resumed"));
  // A complete run has nothing to resume, and resuming it writes nothing.
  const before = events.length;
  await assert.rejects(
    () => resumeExperiment(store, runId),
    /Cannot resume experiment ".*": it is complete/,
  );
  assert.equal(
    (await listTraceEvents(store, (await getRun(store, runId)).trace_id))
      .length,
    before,
  );
});

eachStore.test("experiment() resumes with the judge the run started with, not the one models.yaml has now", async ({ openStore }) => {
  const root = await Deno.makeTempDir();
  try {
    for (const dir of ["prompts", "datasets"]) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}${dir}`, root] })
        .output();
    }
    const models = await Deno.readTextFile(`${ROOT}models.yaml`);
    await Deno.writeTextFile(`${root}/models.yaml`, models);
    await using store = await openStore();
    await loadCatalog(store, { root });
    const controller = new AbortController();
    let calls = 0;
    const first = await experiment(store, {
      task: "support_triage",
      prompts: ["v3"],
      models: ["fake-fast"],
      judge: "fake-judge",
      concurrency: 1,
      signal: controller.signal,
      adapterFor: (config) => {
        const inner = createAdapter(config);
        return {
          ...inner,
          call(request) {
            if (++calls >= 10) controller.abort();
            return inner.call(request);
          },
        };
      },
    });
    assert.equal(first.runs[0]!.status, "interrupted");
    // The judge's config changes after the run started.
    const marker = "      profile: judge\n";
    assert.ok(models.includes(marker));
    await Deno.writeTextFile(
      `${root}/models.yaml`,
      models.replace(marker, `${marker}      bias: 2\n`),
    );
    await loadCatalog(store, { root });
    assert.equal((await getModelConfig(store, "fake-judge")).options?.bias, 2);
    const judges: unknown[] = [];
    const resumed = await resumeExperiment(store, first.runs[0]!.run_id, {
      adapterFor: (config) => {
        if (config.id === "fake-judge") judges.push(config.options?.bias);
        return createAdapter(config);
      },
    });
    assert.equal(resumed.runs[0]!.status, "completed");
    assert.deepEqual(judges, [undefined]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

eachStore.test("a run killed with SIGKILL resumes with every cell once and no committed call repeated", async ({ databaseUrl }) => {
  const url = await databaseUrl();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...DENO_RUN_NET,
      new URL("./testdata/slow_child.ts", import.meta.url).pathname,
      url,
      ROOT,
      // Its calls after the 60th hang: the run stops at about 30 of its 90
      // cells, so the kill lands mid-run however late this process sees 20.
      "60",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const watcher = await open(url);
  let committed = 0;
  for (let i = 0; i < 1200 && committed < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      committed = Number(
        (await rows(watcher, "SELECT count(*) FROM results"))[0]![0],
      );
    } catch {
      // The child may still be creating the schema.
    }
  }
  child.kill("SIGKILL");
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.signal, "SIGKILL");
  await watcher.close();

  await using store = await open(url);
  const [[runId, before]] = await rows(
    store,
    "SELECT r.id, (SELECT count(*) FROM results WHERE run_id = r.id) FROM runs r",
  ) as [[string, number]];
  const done = new Set(
    (await rows(
      store,
      `SELECT case_key || '#' || repetition FROM results WHERE run_id = '${runId}'`,
    )).map((r) => String(r[0])),
  );
  assert.ok(
    Number(before) >= 20 && Number(before) < 90,
    `killed after ${before} cells`,
  );
  const receiptsBefore = Number(
    (await rows(store, "SELECT count(*) FROM model_io"))[0]![0],
  );

  const calls: string[] = [];
  const resumed = await resumeExperiment(store, runId, {
    adapterFor: counting(calls),
  });
  assert.equal(resumed.runs[0]!.status, "completed");
  for (const call of calls) {
    const cell = call.replace(/#(generate|judge)$/, "");
    assert.ok(
      !done.has(cell),
      `${cell} was committed before the kill but called again`,
    );
  }
  const [[total, distinct]] = await rows(
    store,
    `SELECT count(*) AS n, count(DISTINCT case_key || '#' || repetition) AS cells FROM results WHERE run_id = '${runId}'`,
  ) as [[number, number]];
  assert.deepEqual([Number(total), Number(distinct)], [90, 90]);
  // Every receipt committed before the kill is still there, and every result points at its receipt.
  const receiptsAfter = Number(
    (await rows(store, "SELECT count(*) FROM model_io"))[0]![0],
  );
  assert.equal(receiptsAfter, receiptsBefore + calls.length);
  const orphans = await rows(
    store,
    `SELECT count(*) FROM results r LEFT JOIN model_io m ON m.id = r.generation_io_id WHERE m.id IS NULL`,
  );
  assert.equal(Number(orphans[0]![0]), 0);
  const events = await listTraceEvents(
    store,
    (await getRun(store, runId)).trace_id,
  );
  assert.equal(verifyChain(events), null);
});

/** Every receipt's sha256 and cache key recomputed from its content, every cell once, every chain intact. */
async function assertIntact(store: Store): Promise<number> {
  const receipts = (await withBodies(
    store.db,
    await store.db.selectFrom("receipts").selectAll().execute(),
  )).map(receiptFromRow);
  for (const receipt of receipts) {
    assert.equal(
      contentHash(sealedContent(receipt)),
      receipt.sha256,
      `receipt ${receipt.id}`,
    );
    const config = await getModelConfig(store, receipt.model_config_id!);
    assert.equal(cacheKey(config, receipt.request), receipt.cache_key);
  }
  const runs = await rows(store, "SELECT id, trace_id FROM runs");
  for (const [runId, traceId] of runs) {
    const [[all, distinct, orphans]] = await rows(
      store,
      `SELECT count(*) AS n, count(DISTINCT case_key || '#' || repetition) AS cells,
         (SELECT count(*) FROM results r LEFT JOIN model_io m ON m.id = r.generation_io_id WHERE r.run_id = '${runId}' AND m.id IS NULL) AS orphans
       FROM results WHERE run_id = '${runId}'`,
    ) as [[number, number, number]];
    assert.equal(Number(all), Number(distinct));
    assert.equal(Number(orphans), 0);
    assert.equal(
      verifyChain(await listTraceEvents(store, String(traceId))),
      null,
    );
  }
  return receipts.length;
}

eachStore.test("experiment() seals every receipt and cache key as their content hashes say", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const options = {
    task: "support_triage",
    prompts: ["v2", "v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["st-001", "st-002", "st-020"],
  };
  await experiment(store, options);
  await experiment(store, options);
  // Every call is a receipt, a cache hit included: one per generation and
  // one per judge call, each experiment's results pointing at its own.
  const [[generations, judged, cells]] = await rows(
    store,
    `SELECT count(generation_io_id) AS generations, sum(json_array_length(judge_io_ids${
      store.dialect === "postgres" ? "::json" : ""
    })) AS judged, count(*) AS cells FROM results`,
  ) as [[number, number, number]];
  assert.equal(Number(cells), 2 * 2 * 3 * 3);
  assert.ok(Number(judged) > 0);
  assert.equal(
    await assertIntact(store),
    Number(generations) + Number(judged),
  );
});

Deno.test("experiment() writing through the writer thread leaves the same intact records", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const url = `file:${dir}/threaded.db`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        new URL("./testdata/threaded_child.ts", import.meta.url).pathname,
        url,
        ROOT,
      ],
      env: { WB_WRITER_THREAD: "on" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    await using store = await open(url);
    const [[cells, hits]] = await rows(
      store,
      "SELECT (SELECT count(*) FROM results) AS cells, (SELECT count(*) FROM model_io WHERE cached_from IS NOT NULL) AS hits",
    ) as [[number, number]];
    assert.equal(Number(cells), 2 * 12);
    const receipts = await assertIntact(store);
    assert.equal(
      Number(hits) * 2,
      receipts,
      "the second run was all cache hits",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

eachStore.test("experiment() refuses a bad runner option before it writes anything", async ({ openStore }) => {
  await using store = await loaded(openStore);
  for (
    const [options, message] of [
      [{ concurrency: 0 }, /concurrency to be a positive integer but found 0/],
      [{ concurrency: 1.5 }, /found 1.5/],
      [
        { cache: "sometimes" as "use" },
        /cache to be "use", "refresh" or "off"/,
      ],
    ] as const
  ) {
    await assert.rejects(
      () =>
        experiment(store, {
          task: "resume_matching",
          prompts: ["v1"],
          models: ["fake-fast"],
          ...options,
        }),
      (error) => error instanceof TypeError && message.test(error.message),
    );
  }
  const runs = await rows(store, "SELECT count(*) FROM runs");
  const events = await rows(store, "SELECT count(*) FROM trace_events");
  assert.deepEqual([runs[0]![0], events[0]![0]], [0, 0]);
});

Deno.test("resumeExperiment() takes runner options only: the run keeps what it started with", () => {
  type Options = Parameters<typeof resumeExperiment>[2];
  // @ts-expect-error a resumed run's task is fixed at its start
  const task: Options = { task: "support_triage" };
  // @ts-expect-error so are its prompt versions and models
  const prompts: Options = { prompts: ["v9"], models: ["nope"] };
  const runner: Options = { concurrency: 2, cache: "off" };
  assert.ok(task && prompts && runner);
});

/** An adapter wrapper that delays each call and records the most calls in flight at once. */
function inFlight(
  seen: { most: number; calls: number },
  stopAfter?: { calls: number; controller: AbortController },
) {
  let now = 0;
  return (config: ModelConfig): ModelAdapter => {
    const inner = createAdapter(config);
    return {
      provider: inner.provider,
      model: inner.model,
      async call(request) {
        seen.calls++;
        if (stopAfter && seen.calls >= stopAfter.calls) {
          stopAfter.controller.abort();
        }
        now++;
        seen.most = Math.max(seen.most, now);
        await new Promise((r) => setTimeout(r, 3));
        now--;
        return await inner.call(request);
      },
    };
  };
}

eachStore.test("resumeExperiment() runs with the settings the run was planned with; an override is explicit and recorded", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const stop = new AbortController();
  const first = await experiment(store, {
    task: "resume_matching",
    prompts: ["v1", "v2"],
    models: ["fake-fast"],
    concurrency: 2,
    cache: "off",
    retry: { retries: 1, timeoutMs: 9000 },
    rateLimits: { fake: { requestsPerMinute: 600_000 } },
    signal: stop.signal,
    adapterFor: inFlight({ most: 0, calls: 0 }, {
      calls: 10,
      controller: stop,
    }),
  });
  const [started, planned] = await listExperimentRuns(
    store,
    first.experiment_id,
  );
  assert.equal(started!.status, "interrupted");
  assert.equal(planned!.status, "planned");
  assert.deepEqual(planned!.settings, {
    schema_version: 1,
    concurrency: 2,
    rate_limits: { fake: { requests_per_minute: 600_000 } },
    retry: {
      retries: 1,
      base_delay_ms: 500,
      max_delay_ms: 30_000,
      timeout_ms: 9000,
    },
    cache: "off",
  });
  // Without options the runs keep concurrency 2 (and the cache stays off).
  const seen = { most: 0, calls: 0 };
  const resumed = await resumeExperiment(store, started!.id, {
    adapterFor: inFlight(seen),
  });
  assert.deepEqual(resumed.runs.map((r) => r.status), [
    "completed",
    "completed",
  ]);
  assert.equal(seen.most, 2);
  assert.equal(resumed.runs.reduce((n, r) => n + r.cache_hits, 0), 0);
  const events = await listTraceEvents(store, started!.trace_id);
  const resumedEvent = events.find((e) => e.type === "run_resumed");
  assert.equal(
    (resumedEvent?.data as { overrides?: unknown }).overrides,
    undefined,
  );

  // An override on resume is used, recorded on the run and in its trace.
  const stop2 = new AbortController();
  const second = await experiment(store, {
    task: "resume_matching",
    prompts: ["v3"],
    models: ["fake-fast"],
    concurrency: 4,
    signal: stop2.signal,
    adapterFor: inFlight({ most: 0, calls: 0 }, {
      calls: 6,
      controller: stop2,
    }),
  });
  const seen2 = { most: 0, calls: 0 };
  await resumeExperiment(store, second.experiment_id, {
    concurrency: 1,
    adapterFor: inFlight(seen2),
  });
  assert.equal(seen2.most, 1);
  const run = await getRun(store, second.runs[0]!.run_id);
  assert.equal(run.settings?.concurrency, 1);
  const overrides = (await listTraceEvents(store, run.trace_id))
    .filter((e) => e.type === "run_resumed")
    .map((e) => (e.data as { overrides?: unknown }).overrides);
  assert.deepEqual(overrides, [{ concurrency: 1 }]);
});

eachStore.test("resumeExperiment() refuses a complete experiment and an unknown id, writing nothing", async ({ openStore }) => {
  await using store = await loaded(openStore);
  const { experiment_id } = await experiment(store, {
    task: "resume_matching",
    prompts: ["v1"],
    models: ["fake-fast"],
    cases: ["rm-001"],
  });
  const before = await rows(store, "SELECT count(*) FROM trace_events");
  await assert.rejects(
    () => resumeExperiment(store, experiment_id),
    (e) => e instanceof ConflictError && /it is complete/.test(e.message),
  );
  await assert.rejects(
    () => resumeExperiment(store, "exp_nothing_here"),
    NotFoundError,
  );
  assert.deepEqual(
    await rows(store, "SELECT count(*) FROM trace_events"),
    before,
  );
});

Deno.test("experiment() sends no call whose rendered prompt is over the task's bounds.prompt_bytes, and says why on the cell", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const dir of ["prompts", "datasets"]) {
      await new Deno.Command("cp", { args: ["-r", `${ROOT}/${dir}`, root] })
        .output();
    }
    await Deno.copyFile(`${ROOT}/models.yaml`, `${root}/models.yaml`);
    const task = `${root}/prompts/support_triage/task.yaml`;
    await Deno.writeTextFile(
      task,
      (await Deno.readTextFile(task)) + "bounds: { prompt_bytes: 700 }\n",
    );
    await using store = await open(":memory:");
    await loadCatalog(store, { root });
    const calls: string[] = [];
    const { runs } = await experiment(store, {
      task: "support_triage",
      prompts: ["v1"],
      models: ["fake-fast"],
      cases: ["st-001", "st-002"],
      adapterFor: counting(calls),
    });
    const refused = await rows(
      store,
      `SELECT error, attempts FROM model_io WHERE run_id = '${
        runs[0]!.run_id
      }' AND status = 'error'`,
    );
    // st-001's prompt is 702 bytes, st-002's 693: the first is refused at
    // each of its 3 repetitions, the second is sent.
    assert.equal(refused.length, 3);
    for (const [error, attempts] of refused) {
      assert.equal(Number(attempts), 0);
      assert.match(
        JSON.parse(String(error)).message,
        /^the rendered prompt is \d+ bytes, over the task's limit of 700 \(bounds\.prompt_bytes in task\.yaml\); the call was not sent$/,
      );
    }
    assert.equal(calls.length, 6 - refused.length);
    assert.equal(runs[0]!.failures, refused.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("experiment() refuses a fake config whose behaviours module cannot be imported, before any call or run", async () => {
  const root = await Deno.makeTempDir({ prefix: "wb_behaviours_" });
  try {
    await Deno.mkdir(`${root}/prompts/resume_matching`, { recursive: true });
    await Deno.mkdir(`${root}/datasets`);
    for await (const entry of Deno.readDir(`${ROOT}prompts/resume_matching`)) {
      await Deno.copyFile(
        `${ROOT}prompts/resume_matching/${entry.name}`,
        `${root}/prompts/resume_matching/${entry.name}`,
      );
    }
    await Deno.copyFile(
      `${ROOT}datasets/resume_matching.jsonl`,
      `${root}/datasets/resume_matching.jsonl`,
    );
    const models = await Deno.readTextFile(`${ROOT}models.yaml`);
    await Deno.writeTextFile(
      `${root}/models.yaml`,
      models.replaceAll("demo/fake/behaviours.ts", "demo/fake/missing.ts"),
    );
    await using store = await open(":memory:");
    await loadCatalog(store, { root });
    const calls: string[] = [];
    await assert.rejects(
      () =>
        experiment(store, {
          task: "resume_matching",
          prompts: ["v1"],
          models: ["fake-fast"],
          adapterFor: counting(calls),
        }),
      (error) =>
        error instanceof ConfigError &&
        /model config "fake-fast" behaviours entry "demo\/fake\/missing\.ts"/
          .test(error.message),
    );
    assert.deepEqual(calls, []);
    assert.deepEqual(await rows(store, "SELECT count(*) AS n FROM runs"), [[
      0,
    ]]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cellRows() writes a batch's bodies in sha256 order: one lock order for writers sharing bodies on PostgreSQL", async () => {
  await using store = await loaded(() => open(":memory:"));
  const result = await experiment(store, {
    task: "resume_matching",
    prompts: ["v3"],
    models: ["fake-fast"],
    judge: "fake-judge",
    cases: ["rm-001", "rm-019", "rm-028"],
  });
  const runId = result.runs[0]!.run_id;
  const receipts = await listReceipts(store, runId);
  const results = await listResults(store, runId);
  const rows = cellRows(results.map((r) => ({
    receipts: receipts.filter((x) =>
      x.id === r.generation_io_id || r.judge_io_ids.includes(x.id)
    ),
    result: r,
    events: [],
  })));
  const hashes = rows.bodies.map((b) => b.sha256);
  assert.ok(hashes.length > 4, `${hashes.length} bodies`);
  assert.equal(new Set(hashes).size, hashes.length);
  assert.deepEqual(hashes, [...hashes].sort());
});

/** Checks that each of the 6 cells of runNulOutputs() reads back exactly what its model said. */
async function assertNulOutputs(
  store: Store,
  { runId, status, said }: NulOutputs,
): Promise<void> {
  assert.equal(status, "completed");
  const cells = await listResults(store, runId);
  assert.equal(cells.length, 6);
  for (const cell of cells) {
    assert.equal(cell.output, said[`${cell.case_key}#${cell.repetition}`]);
  }
  const receipts = await listReceipts(store, runId);
  assert.ok(receipts.some((r) => r.text?.includes("\u0000")));
}

eachStore.test("experiment() stores model output holding NUL and U+0001 exactly, and finishes, on both engines", async ({ openStore }) => {
  await using store = await loaded(openStore);
  await assertNulOutputs(store, await runNulOutputs(store));
});

Deno.test("experiment() stores output holding NUL exactly through the writer thread and the bulk reader of a local file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The run is made in a process with WB_WRITER_THREAD=on: set here, the
    // variable would reach the test files running in parallel in this one.
    const url = `file:${dir}/wb.db`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        ...DENO_RUN,
        new URL("./testdata/nul_child.ts", import.meta.url).pathname,
        url,
        ROOT,
      ],
      env: { WB_WRITER_THREAD: "on" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    await using store = await open(url);
    await assertNulOutputs(
      store,
      JSON.parse(new TextDecoder().decode(output.stdout)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
