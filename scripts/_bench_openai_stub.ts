/**
 * The OpenAI stub of benchmark part 10, in its own process so its work does
 * not run on the measured process's thread: a local server speaking the Chat
 * Completions wire format (`lib/providers/_wire_stub.ts`) that answers every
 * request at once, or after `latency ms` (one timer). Prints its base URL as
 * the first line of stdout, then serves until its stdin closes.
 *
 * Usage: _bench_openai_stub.ts [latency ms]
 *
 * @module
 */
import {
  openaiCompletion,
  startWireStub,
} from "../lib/providers/_wire_stub.ts";

/** The answer to every call: one in the benchmark task's output schema. */
const ANSWER = JSON.stringify({
  match_score: 70,
  matched_skills: ["Python"],
  missing_skills: [],
  ranking_justification: "The resume shows the skills the job asks for.",
});

const latencyMs = Number(Deno.args[0] ?? "0");
const reply = {
  ...openaiCompletion({ content: ANSWER }),
  ...(latencyMs > 0 ? { delayMs: latencyMs } : {}),
};
const stub = startWireStub("openai", { plan: () => reply });
// deno-lint-ignore no-console
console.log(stub.baseUrl);
// Serve until the parent closes stdin (or dies).
for await (const _ of Deno.stdin.readable) {
  // Nothing is read from stdin; its end is the signal to stop.
}
await stub.close();
