import assert from "node:assert/strict";
import { CallTimer, timed } from "./_call_timing.ts";

/** A clock that moves only when told to. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("CallTimer times a request from fetch to its body read, not the client's start-up", async () => {
  const c = clock();
  const timer = new CallTimer(c.now);
  // The "server" takes 80 ms to answer and 5 ms to send its body.
  const fetch = timer.fetch((_input, _init) => {
    c.advance(80);
    return Promise.resolve(
      new Response(
        new ReadableStream({
          pull(controller) {
            c.advance(5);
            controller.enqueue(new TextEncoder().encode('{"ok":true}'));
            controller.close();
          },
        }),
      ),
    );
  });
  const [body, timing] = await timer.run(async () => {
    // The client's own start-up and parsing: not the provider's time.
    c.advance(300);
    const response = await fetch("http://127.0.0.1/");
    const json = await response.json();
    c.advance(40);
    return json;
  });
  assert.deepEqual(body, { ok: true });
  assert.deepEqual(timing, { latencyMs: 85, cold: true });
  assert.deepEqual(timed(timing), { latency_ms: 85, connection_cold: true });
  // Once an answer was read, requests are warm.
  const [, next] = await timer.run(() => fetch("http://127.0.0.1/"));
  assert.deepEqual(next, { latencyMs: 85, cold: false });
  assert.deepEqual(timed(next), { latency_ms: 85 });
});

Deno.test("CallTimer marks every request sent before the first answer was read as cold", async () => {
  const timer = new CallTimer();
  const gates: (() => void)[] = [];
  const fetch = timer.fetch(() =>
    new Promise<Response>((resolve) =>
      gates.push(() => resolve(new Response(null, { status: 204 })))
    )
  );
  const first = timer.run(() => fetch("http://127.0.0.1/a"));
  const second = timer.run(() => fetch("http://127.0.0.1/b"));
  await Promise.resolve();
  gates.forEach((open) => open());
  const [[, a], [, b]] = await Promise.all([first, second]);
  assert.equal(a.cold, true);
  assert.equal(b.cold, true);
  const [, c] = await timer.run(() => {
    const pending = fetch("http://127.0.0.1/c");
    gates.at(-1)!();
    return pending;
  });
  assert.equal(c.cold, false);
  // A call that sends no request has no timing.
  const [, none] = await timer.run(() => Promise.resolve(1));
  assert.deepEqual(none, {});
});

Deno.test("CallTimer's fetch sends the same headers, passed as a record", async () => {
  const seen: (HeadersInit | undefined)[] = [];
  const timer = new CallTimer();
  const fetch = timer.fetch((_input, init) => {
    seen.push(init?.headers);
    return Promise.resolve(new Response("{}"));
  });
  const headers = new Headers([
    ["Authorization", "Bearer k"],
    ["X-Many", "a"],
    ["x-many", "b"],
    ["content-type", "application/json"],
  ]);
  const init = { method: "POST", headers, body: "{}" };
  await fetch("http://127.0.0.1/", init);
  // The caller's init is left as it was; the inner fetch gets a record.
  assert.equal(init.headers, headers);
  assert.deepEqual(seen[0], {
    authorization: "Bearer k",
    "content-type": "application/json",
    "x-many": "a, b",
  });
  assert.deepEqual(
    [...new Request("http://127.0.0.1/", { headers: seen[0] }).headers],
    [...new Request("http://127.0.0.1/", { headers }).headers],
  );
  // Set-cookie values, which a record would merge, and other kinds of
  // headers go through untouched.
  const cookies = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
  await fetch("http://127.0.0.1/", { headers: cookies });
  assert.equal(seen[1], cookies);
  await fetch("http://127.0.0.1/", { headers: [["x", "1"]] });
  assert.deepEqual(seen[2], [["x", "1"]]);
  await fetch("http://127.0.0.1/");
  assert.equal(seen[3], undefined);
});
