/**
 * Provider latency, measured where the request leaves and the answer
 * arrives: a fetch wrapper times each request from the moment it is handed
 * to `fetch` to the moment its body is read, so the SDK's own start-up
 * (building the request, loading its modules on first use) and the
 * parsing after are left out. Connection set-up cannot be told apart
 * through `fetch`: a request sent before this adapter had read any answer
 * may have opened a connection, so it is marked cold, and latency
 * summaries leave it out.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** What one call's request took. */
export interface CallTiming {
  /** From handing the request to `fetch` to reading its body, in ms. */
  latencyMs?: number;
  /** Sent before the adapter had read any answer: connection set-up may be in it. */
  cold?: boolean;
}

/** Statuses whose response carries no body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Times the requests of one adapter (one SDK client). */
export class CallTimer {
  readonly #calls = new AsyncLocalStorage<CallTiming>();
  readonly #now: () => number;
  #warm = false;

  /** @param now The clock, in ms (tests inject one). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Wraps the fetch the SDK uses: each request is timed into the current call. */
  fetch(inner?: typeof fetch): typeof fetch {
    return async (input, init) => {
      const timing = this.#calls.getStore();
      const cold = !this.#warm;
      const started = this.#now();
      const response = await (inner ?? globalThis.fetch)(
        input,
        plainHeaders(init),
      );
      const body = NULL_BODY.has(response.status)
        ? null
        : await response.arrayBuffer();
      if (timing) {
        timing.latencyMs = this.#now() - started;
        timing.cold = cold;
      }
      this.#warm = true;
      return new Response(body, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    };
  }

  /** Runs one call, collecting the timing of the request it sends. */
  async run<T>(call: () => Promise<T>): Promise<[T, CallTiming]> {
    const timing: CallTiming = {};
    const value = await this.#calls.run(timing, call);
    return [value, timing];
  }
}

/**
 * `init` with its `Headers` (as the SDKs pass them) as a plain record of the
 * same names and values: `fetch` reads a record several times faster than a
 * `Headers` object (about 30 us a request less), and sends the same header
 * list. A `set-cookie` header, whose values a record would merge, is left as
 * it is.
 */
function plainHeaders(init: RequestInit | undefined): RequestInit | undefined {
  const headers = init?.headers;
  if (!(headers instanceof Headers) || headers.has("set-cookie")) return init;
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return { ...init, headers: record };
}

/** The measured latency and the cold mark as a response carries them. */
export function timed(
  timing: CallTiming,
): { latency_ms?: number; connection_cold?: true } {
  return {
    ...(timing.latencyMs === undefined ? {} : { latency_ms: timing.latencyMs }),
    ...(timing.cold ? { connection_cold: true as const } : {}),
  };
}
