/**
 * A small Chrome DevTools Protocol client for the report tests: starts
 * Debian's chromium headless with a fresh profile and a debugging port on
 * 127.0.0.1, and drives one page over a WebSocket. playwright-core cannot be
 * used here: under Deno it reads /proc, which needs --allow-all, and the test
 * task runs with narrower permissions.
 *
 * @module
 */

/** Where Debian installs chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--mute-audio",
  "--hide-scrollbars",
  "--remote-debugging-address=127.0.0.1",
  "--remote-debugging-port=0",
];

/** Why chromium cannot be used here, or `undefined` when it can. */
export async function chromiumMissing(
  path = CHROMIUM_PATH,
): Promise<string | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? undefined : `${path} is not a file`;
  } catch {
    return `${path} not found (install with: apt-get install -y --no-install-recommends chromium)`;
  }
}

type Json = Record<string, unknown>;
type Listener = (method: string, params: Json, sessionId?: string) => void;

/** One DevTools connection to the browser; page commands carry a session id. */
class Connection {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<
    number,
    { resolve(value: Json): void; reject(error: Error): void }
  >();
  #listeners: Listener[] = [];

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        result?: Json;
        error?: { message: string };
        method?: string;
        params?: Json;
        sessionId?: string;
      };
      if (message.id !== undefined) {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) {
          pending?.reject(new Error(`CDP error: ${message.error.message}`));
        } else pending?.resolve(message.result ?? {});
        return;
      }
      if (message.method) {
        for (const listener of this.#listeners) {
          listener(message.method, message.params ?? {}, message.sessionId);
        }
      }
    };
    ws.onclose = () => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error("CDP connection closed"));
      }
      this.#pending.clear();
    };
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    const id = this.#next++;
    const promise = new Promise<Json>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.#ws.send(
      JSON.stringify({
        id,
        method,
        params,
        ...(sessionId ? { sessionId } : {}),
      }),
    );
    return promise;
  }

  on(listener: Listener): void {
    this.#listeners.push(listener);
  }

  waitFor(method: string, sessionId?: string): Promise<Json> {
    return new Promise((resolve) => {
      const listener: Listener = (m, params, s) => {
        if (m === method && (!sessionId || s === sessionId)) {
          this.#listeners = this.#listeners.filter((l) => l !== listener);
          resolve(params);
        }
      };
      this.#listeners.push(listener);
    });
  }

  close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.addEventListener("close", () => resolve(), { once: true });
      this.#ws.close();
    });
  }
}

/** What happened on a page while it was open. */
export interface PageEvents {
  /** Dialogs (alert, confirm, prompt) that tried to open; each was dismissed. */
  dialogs: string[];
  /** Calls to the page binding `wbCanary(...)`, with their payloads. */
  bindingCalls: string[];
  /** Uncaught exceptions' descriptions. */
  exceptions: string[];
}

/** One page (tab) of the browser. */
export class Page {
  readonly events: PageEvents = {
    dialogs: [],
    bindingCalls: [],
    exceptions: [],
  };
  #conn: Connection;
  #session: string;

  constructor(conn: Connection, session: string) {
    this.#conn = conn;
    this.#session = session;
    conn.on((method, params, sessionId) => {
      if (sessionId !== session) return;
      if (method === "Page.javascriptDialogOpening") {
        this.events.dialogs.push(String(params.message));
        void conn.send(
          "Page.handleJavaScriptDialog",
          { accept: false },
          session,
        ).catch(() => {});
      } else if (method === "Runtime.bindingCalled") {
        this.events.bindingCalls.push(String(params.payload));
      } else if (method === "Runtime.exceptionThrown") {
        const details = params.exceptionDetails as { text?: string };
        this.events.exceptions.push(String(details?.text));
      }
    });
  }

  /** Sends a command to this page. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.#conn.send(method, params, this.#session);
  }

  /** Sets the viewport size (CSS pixels). */
  async viewport(width: number, height: number, mobile = false): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile,
    });
  }

  /** Navigates and resolves when the load event fired. */
  async goto(url: string): Promise<void> {
    const loaded = this.#conn.waitFor("Page.loadEventFired", this.#session);
    const result = await this.send("Page.navigate", { url });
    if (result.errorText) {
      throw new Error(`Cannot open "${url}": ${result.errorText}`);
    }
    await loaded;
  }

  /** Evaluates an expression in the page and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (result.exceptionDetails) {
      throw new Error(
        `Cannot evaluate in page: ${JSON.stringify(result.exceptionDetails)}`,
      );
    }
    return (result.result as { value: T }).value;
  }

  /** A PNG screenshot of the viewport, or of the whole page when `full`. */
  async screenshot(full = false): Promise<Uint8Array> {
    const result = await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: full,
      ...(full ? {} : {}),
    });
    return Uint8Array.from(atob(String(result.data)), (c) => c.charCodeAt(0));
  }

  /** Prints the page to PDF (A4), as a reader printing the report would. */
  async pdf(): Promise<Uint8Array> {
    const result = await this.send("Page.printToPDF", {
      paperWidth: 8.27,
      paperHeight: 11.69,
      printBackground: false,
    });
    return Uint8Array.from(atob(String(result.data)), (c) => c.charCodeAt(0));
  }
}

/** A running headless chromium with a fresh profile; dispose to stop it. */
export class Chromium implements AsyncDisposable {
  #process: Deno.ChildProcess;
  #conn: Connection;
  #profile: string;

  private constructor(
    process: Deno.ChildProcess,
    conn: Connection,
    profile: string,
  ) {
    this.#process = process;
    this.#conn = conn;
    this.#profile = profile;
  }

  /** Starts chromium and connects to it. */
  static async launch(path = CHROMIUM_PATH): Promise<Chromium> {
    const profile = await Deno.makeTempDir({ prefix: "wb_chromium_" });
    const process = new Deno.Command(path, {
      args: [...FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const endpoint = await readEndpoint(profile, process);
      const ws = new WebSocket(endpoint);
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () =>
          reject(new Error(`Cannot connect to chromium at "${endpoint}"`));
      });
      return new Chromium(process, new Connection(ws), profile);
    } catch (error) {
      try {
        process.kill("SIGKILL");
      } catch { /* already gone */ }
      await process.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  /** Opens a new page with the `wbCanary` binding, dialogs and exceptions watched. */
  async newPage(options: { bypassCsp?: boolean } = {}): Promise<Page> {
    const { targetId } = await this.#conn.send("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await this.#conn.send("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const page = new Page(this.#conn, String(sessionId));
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Runtime.addBinding", { name: "wbCanary" });
    if (options.bypassCsp) {
      await page.send("Page.setBypassCSP", { enabled: true });
    }
    return page;
  }

  /** Closes the browser and removes its profile. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#conn.send("Browser.close").catch(() => {});
    await this.#conn.close();
    await this.#process.status;
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}

async function readEndpoint(
  profile: string,
  process: Deno.ChildProcess,
): Promise<string> {
  let exited = false;
  process.status.then(() => exited = true);
  // Chromium writes the port and browser path once it listens; give it up to 60 s.
  for (let i = 0; i < 1200; i++) {
    if (exited) throw new Error("Cannot start chromium: it exited at once");
    try {
      const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`);
      const [port, path] = text.trim().split("\n");
      if (port && path) return `ws://127.0.0.1:${port}${path}`;
    } catch { /* not written yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("Cannot start chromium: no DevTools port after 60 s");
}
