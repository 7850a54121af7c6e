/**
 * Keeps secrets out of receipts and bundles: the shapes of common API keys
 * and tokens, and the values of the process's own secret environment
 * variables, are found in any string and replaced.
 *
 * @module
 */

/** What a removed secret is replaced by. */
export const SECRET_MARK = "[secret removed]";

/** Common key and token shapes (Anthropic, OpenAI, AWS, GitHub, Slack, Google, bearer headers). */
export const SECRET_PATTERN: RegExp = new RegExp(
  [
    String.raw`(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_\-]{16,}`,
    String.raw`(?<![A-Za-z0-9])sk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{20,}`,
    String.raw`(?<![A-Za-z0-9])AKIA[0-9A-Z]{16}`,
    String.raw`(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{30,}`,
    String.raw`(?<![A-Za-z0-9])github_pat_[A-Za-z0-9_]{30,}`,
    String.raw`(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9\-]{10,}`,
    String.raw`(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}`,
    String.raw`(?<![A-Za-z0-9])[Bb]earer\s+[A-Za-z0-9._~+/\-]{16,}=*`,
  ].join("|"),
  "g",
);

const SECRET_NAME =
  /(API_?KEY|_KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$/i;

/**
 * The values of environment variables whose names say they are secrets
 * (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, ...), and of the variables that
 * `WB_SECRET_ENV` lists (comma-separated names, for secrets named
 * otherwise), 8 characters or longer. Empty when the environment cannot be
 * read.
 */
export function secretEnvValues(): string[] {
  try {
    const env = Deno.env.toObject();
    const listed = new Set(
      (env.WB_SECRET_ENV ?? "").split(",").map((n) => n.trim()).filter(
        Boolean,
      ),
    );
    return Object.entries(env)
      .filter(([name, value]) =>
        (SECRET_NAME.test(name) || listed.has(name)) && value.length >= 8
      )
      .map(([, value]) => value);
  } catch {
    return [];
  }
}

/**
 * The values of the environment variables that model configs name as their
 * API keys (`api_key_env`), whatever the variables are called.
 */
export function keyValuesOf(
  configs: readonly { readonly api_key_env?: string | undefined }[],
): string[] {
  const values: string[] = [];
  for (const config of configs) {
    if (!config.api_key_env) continue;
    try {
      const value = Deno.env.get(config.api_key_env);
      if (value) values.push(value);
    } catch {
      // The environment cannot be read: the key cannot be in use either.
    }
  }
  return values;
}

/**
 * Scrubs secrets from strings: the exact values it is given, and the shapes
 * of common API keys and tokens. The runner and the tracer scrub everything
 * they store with one (`Tracer.secrets`), and bundles everything they export.
 *
 * @example Removing a key a model echoed
 * ```ts
 * import { SecretScrubber } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const scrubber = new SecretScrubber(["cafe1234-beef-5678"]);
 * assert.equal(scrubber.scrub("my key is cafe1234-beef-5678"), "my key is [secret removed]");
 * assert.ok(scrubber.contains("Bearer sk-ant-abcdefghijklmnopqrstu"));
 * ```
 */
export class SecretScrubber {
  #values: readonly string[];

  /** Builds a scrubber for these exact values plus the common patterns. */
  constructor(values: readonly string[] = secretEnvValues()) {
    this.#values = [...new Set(values)].filter((v) => v.length >= 8);
  }

  /** The text with every secret replaced by {@linkcode SECRET_MARK}. */
  scrub(text: string): string {
    let out = text;
    for (const value of this.#values) {
      if (out.includes(value)) out = out.replaceAll(value, SECRET_MARK);
    }
    SECRET_PATTERN.lastIndex = 0;
    if (SECRET_PATTERN.test(out)) {
      SECRET_PATTERN.lastIndex = 0;
      out = out.replace(SECRET_PATTERN, SECRET_MARK);
    }
    return out;
  }

  /** Whether the text holds a secret (a value looked for, or a key shape). */
  contains(text: string): boolean {
    for (const value of this.#values) if (text.includes(value)) return true;
    SECRET_PATTERN.lastIndex = 0;
    return SECRET_PATTERN.test(text);
  }

  /**
   * Whether a JSON object's canonical text holds a secret: the answer
   * {@linkcode SecretScrubber.contains} gives for `text`, where `members`
   * maps each of the object's member names to its canonical JSON (so `text`
   * is `{"name":member,...}`). No key shape takes the `,`, `"` or `:`
   * between two members, so shapes are looked for member by member, and
   * not again in a member whose text is the one `clean` holds for its name
   * (found clean before; `clean` is updated). Exact values are looked for
   * in the whole text.
   *
   * @param text The object's canonical JSON.
   * @param members Its members' canonical JSON by name.
   * @param clean Member texts found clean before, by name; updated.
   * @returns Whether `text` holds a secret.
   */
  containsInMembers(
    text: string,
    members: Readonly<Record<string, string>>,
    clean: Map<string, string>,
  ): boolean {
    for (const value of this.#values) if (text.includes(value)) return true;
    for (const name of Object.keys(members)) {
      const member = members[name]!;
      if (clean.get(name) === member) continue;
      SECRET_PATTERN.lastIndex = 0;
      if (SECRET_PATTERN.test(name) || SECRET_PATTERN.test(member)) {
        return true;
      }
      clean.set(name, member);
    }
    return false;
  }

  /** A copy of a JSON value with every string (and key) scrubbed; the same object when nothing changed. */
  scrubValue<T>(value: T): T {
    return scrubJson(value, (s) => this.scrub(s)) as T;
  }
}

/** Applies a string transform to every string and key of a JSON value, copying only what changes. */
export function scrubJson(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = scrubJson(item, fn);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? out : value;
  }
  if (typeof value === "object" && value !== null) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const nextKey = fn(key);
      const next = scrubJson(item, fn);
      if (next !== item || nextKey !== key) changed = true;
      out[nextKey] = next;
    }
    return changed ? out : value;
  }
  return value;
}
