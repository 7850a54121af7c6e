/**
 * LLM Workbench: make prompt changes safe to ship and LLM runs provable.
 *
 * Prompts are immutable, versioned assets; datasets are sliced into typical,
 * edge, known_failure and adversarial cases; every model call is a receipt;
 * verdicts, gates and bundles are evidence anyone can verify offline.
 *
 * - {@linkcode open} opens (and migrates) the libSQL database.
 * - {@linkcode canonicalize} and {@linkcode contentHash} give content identity.
 *
 * @example Open a store
 * ```ts
 * import { open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * assert.equal(store.url, ":memory:");
 * ```
 *
 * @module
 */

// Errors
export {
  ConfigError,
  ConflictError,
  FileSyntaxError,
  type Issue,
  NotFoundError,
  ValidationError,
} from "./lib/errors.ts";

// Content identity
export { canonicalize } from "./lib/content/canonicalize.ts";
export { contentHash, sha256Hex } from "./lib/content/sha256.ts";
export { newId } from "./lib/content/ids.ts";

// Store
export { open, type OpenOptions, type Store } from "./lib/store/open.ts";

// Providers
export {
  ProviderError,
  type ProviderErrorKind,
} from "./lib/providers/adapter.ts";
