import { sql, sql as rawSql } from "kysely";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { mulberry32 } from "../scoring/bootstrap.ts";
import { startWireStub, type StubRequest } from "../providers/_wire_stub.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { open, type Store } from "../store/open.ts";
import { withBodies } from "../store/bodies.ts";
import { DENO_RUN_NET } from "../_deno_run.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHILD = new URL("./testdata/soak_child.ts", import.meta.url).pathname;
const KEY_ENV = "WB_SOAK_STUB_KEY";

/** A catalog of the shipped support_triage task with 40 cases and two models on the stub. */
async function soakCatalog(dir: string, baseUrl: string): Promise<void> {
  await Deno.mkdir(`${dir}/prompts/support_triage`, { recursive: true });
  await Deno.mkdir(`${dir}/datasets`);
  for (const file of ["task.yaml", "v1.yaml", "v2.yaml", "v3.yaml"]) {
    await Deno.copyFile(
      `${ROOT}/prompts/support_triage/${file}`,
      `${dir}/prompts/support_triage/${file}`,
    );
  }
  const cases = (await Deno.readTextFile(
    `${ROOT}/datasets/support_triage.jsonl`,
  )).trim().split("\n").map((l) => JSON.parse(l));
  // Ten more, in the shipped slice mix (6 typical, 2 edge, 1 of each other).
  const extra = { typical: 6, edge: 2, known_failure: 1, adversarial: 1 };
  for (const [slice, n] of Object.entries(extra)) {
    for (const c of cases.filter((c) => c.slice === slice).slice(0, n)) {
      cases.push({ ...c, id: `${c.id}-b`, input: { ...c.input } });
      cases.at(-1).input.customer_message += " (second copy)";
    }
  }
  assert.equal(cases.length, 40);
  await Deno.writeTextFile(
    `${dir}/datasets/support_triage.jsonl`,
    cases.map((c) => JSON.stringify(c)).join("\n") + "\n",
  );
  const model = (id: string) => ({
    id,
    provider: "openai",
    model: `soak-${id}`,
    base_url: baseUrl,
    api_key_env: KEY_ENV,
    params: { temperature: 0, max_tokens: 64 },
  });
  const price = (id: string) => ({
    provider: "openai",
    model: `soak-${id}`,
    currency: "USD",
    input_per_mtok: "1.00",
    output_per_mtok: "5.00",
    valid_from: "2025-01-01",
  });
  await Deno.writeTextFile(
    `${dir}/models.yaml`,
    stringify({
      schema_version: 1,
      models: [model("stub-a"), model("stub-b")],
      prices: [price("stub-a"), price("stub-b")],
    }),
  );
}

/** A cell's identity on the wire: model, system prompt, user message, seed (= repetition). */
function wireCell(request: StubRequest): string {
  const body = request.json as {
    model: string;
    seed: number;
    messages: { role: string; content: string }[];
  };
  const system = body.messages.find((m) => m.role === "system")?.content ?? "";
  const user = body.messages.findLast((m) => m.role === "user")?.content ?? "";
  return JSON.stringify([body.model, system, user, body.seed]);
}

/** The wire identities of every cell committed so far. */
async function committedCells(store: Store): Promise<Set<string>> {
  const rows = await withBodies(
    store.db,
    (await sql<
      {
        model: string;
        request_sha256: string;
        request_parts: string | null;
        response_sha256: string | null;
        repetition: number;
      }
    >`
    SELECT m.model, m.request_sha256, m.request_parts, m.response_sha256, r.repetition FROM results r JOIN model_io m ON m.id = r.generation_io_id`
      .execute(store.db)).rows,
  );
  return new Set(rows.map((row) => {
    const request = JSON.parse(row.request) as {
      system?: string;
      messages: { role: string; content: string }[];
    };
    const user = request.messages.findLast((m) => m.role === "user")?.content;
    return JSON.stringify([
      row.model,
      request.system ?? "",
      user ?? "",
      Number(row.repetition),
    ]);
  }));
}

async function scalar(store: Store, sql: string): Promise<number> {
  const row = (await rawSql.raw<Record<string, unknown>>(sql).execute(store.db))
    .rows[0]!;
  return Number(Object.values(row)[0]);
}

Deno.test("an experiment SIGKILLed at 10 points and resumed each time has every cell once, repeats no committed call, and accounts for every request the provider got", async () => {
  const random = mulberry32(20261202);
  await using stub = startWireStub("openai", {
    // Calls take 2-20 ms; 5% are rate-limited and 3% fail, then succeed on retry.
    plan: (index) => {
      const r = mulberry32(index + 1)();
      if (r < 0.05) {
        return {
          status: 429,
          headers: { "retry-after": "0" },
          json: { error: { message: "slow down", type: "rate_limit" } },
        };
      }
      if (r < 0.08) {
        return { status: 500, json: { error: { message: "oops" } } };
      }
      return { delayMs: 2 + Math.floor(r * 18) };
    },
  });
  const dir = await Deno.makeTempDir();
  try {
    await soakCatalog(dir, stub.baseUrl);
    {
      await using check = await open(":memory:");
      await loadCatalog(check, { root: dir });
    }
    const url = `file:${dir}/soak.db`;
    const spawn = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          ...DENO_RUN_NET,
          CHILD,
          url,
          dir,
          ...args,
        ],
        env: { [KEY_ENV]: "soak-test-key-0123456789" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
    let experimentId = "";
    const kills: {
      at: number;
      committed: Set<string>;
      secondPlanned: boolean;
    }[] = [];
    for (let kill = 0; kill < 10; kill++) {
      const child = spawn(kill === 0 ? ["start"] : ["resume", experimentId]);
      // The first kills come early, so that some land before the second run starts.
      const target = stub.requests.length +
        Math.floor((kill < 3 ? 8 : 20) + random() * (kill < 3 ? 30 : 50));
      // Killed once the stub has had its target, however long the child
      // takes to start on a loaded machine (a kill before the first session
      // planned its runs left none to resume); a child that ends first is
      // reported below.
      let ended = false;
      child.status.then(() => ended = true);
      for (
        let i = 0;
        i < 30_000 && !ended && stub.requests.length < target;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 2));
      }
      try {
        child.kill("SIGKILL");
      } catch {
        // It ended on its own; the assertion below says how.
      }
      const status = await child.status;
      const stderr = new TextDecoder().decode(
        await new Response(child.stderr).arrayBuffer(),
      );
      assert.equal(
        status.signal,
        "SIGKILL",
        `session ${kill} ended: ${stderr}`,
      );
      await new Promise((r) => setTimeout(r, 30)); // requests already sent arrive
      await using store = await open(url);
      experimentId ||= (await store.db.selectFrom("runs")
        .select("experiment_id").limit(1).executeTakeFirstOrThrow())
        .experiment_id;
      kills.push({
        at: stub.requests.length,
        committed: await committedCells(store),
        secondPlanned: (await scalar(
          store,
          "SELECT count(*) FROM runs WHERE position = 1 AND status = 'planned'",
        )) === 1,
      });
    }
    const last = spawn(["resume", experimentId]);
    const status = await last.status;
    const stderr = new TextDecoder().decode(
      await new Response(last.stderr).arrayBuffer(),
    );
    assert.equal(status.code, 0, stderr);

    assert.ok(
      kills.filter((k) => k.secondPlanned).length >= 2,
      "at least two kills before the second run started",
    );
    // No call committed before a kill was sent after it.
    for (const [i, kill] of kills.entries()) {
      const resent = stub.requests.slice(kill.at)
        .filter((r) => r.json !== undefined && kill.committed.has(wireCell(r)));
      assert.equal(
        resent.length,
        0,
        `after kill ${i}: ${resent.length} committed calls sent again`,
      );
    }
    await using store = await open(url);
    // Every planned cell exactly once: 2 versions x 2 models x 40 cases x 3 repetitions.
    assert.equal(
      await scalar(
        store,
        "SELECT count(*) FROM runs WHERE status = 'completed'",
      ),
      4,
    );
    assert.equal(await scalar(store, "SELECT count(*) FROM results"), 480);
    assert.equal(
      await scalar(
        store,
        "SELECT count(DISTINCT run_id || case_key || '#' || repetition) FROM results",
      ),
      480,
    );
    // Every request the stub received is a receipted attempt or a call the
    // runs report as sent but never receipted. The report is an upper bound:
    // a call counted in the instant before a kill may never have left.
    const attempts = await scalar(store, "SELECT sum(attempts) FROM model_io");
    const unreceipted = await scalar(
      store,
      "SELECT sum(unreceipted_calls) FROM runs",
    );
    const requests = stub.requests.length;
    assert.ok(
      attempts + unreceipted >= requests,
      `${requests} requests reached the stub, but only ${attempts} attempts are receipted and ${unreceipted} reported unreceipted`,
    );
    assert.ok(
      attempts + unreceipted - requests <= kills.length,
      `${
        attempts + unreceipted - requests
      } calls reported that never reached the stub`,
    );
    assert.ok(unreceipted > 0, "the kills left calls in flight");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
