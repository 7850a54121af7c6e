/**
 * LLM Workbench: make prompt changes safe to ship and LLM runs provable.
 *
 * Prompts are immutable, versioned assets; datasets are sliced into typical,
 * edge, known_failure and adversarial cases; every model call is a receipt;
 * verdicts, gates and bundles are evidence anyone can verify offline.
 *
 * - {@linkcode open} opens (and migrates) the libSQL database.
 * - {@linkcode canonicalize} and {@linkcode contentHash} give content identity.
 * - {@linkcode validateCatalog} checks `prompts/`, `datasets/` and `models.yaml`;
 *   {@linkcode loadCatalog} stores them as immutable versions, read back with
 *   {@linkcode getPromptVersion} and {@linkcode getLatestDataset}.
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

// Catalog
export {
  type Catalog,
  type CatalogPrompt,
  type CatalogTask,
  type CheckConfigIssue,
  type CheckConfigRegistry,
  type CheckConfigSchema,
  readCatalog,
  type ReadCatalogOptions,
} from "./lib/catalog/read_catalog.ts";
export {
  type SliceDistribution,
  type SliceShare,
  validateCatalog,
  type ValidateCatalogOptions,
  type ValidateCatalogResult,
} from "./lib/catalog/validate_catalog.ts";
export {
  loadCatalog,
  type LoadCatalogOptions,
  type LoadCatalogReport,
  type LoadModelConfigReport,
  type LoadStatus,
  type LoadTaskReport,
} from "./lib/catalog/load_catalog.ts";
export {
  catalogJsonSchemas,
  type CatalogSchemaName,
} from "./lib/catalog/json_schemas.ts";
export {
  getLatestDataset,
  getPromptVersion,
  listPromptVersions,
  type StoredPrice,
} from "./lib/store/catalog.ts";
export { type Case, type Dataset } from "./lib/schema/dataset.ts";
export { type ModelsFile } from "./lib/schema/model.ts";
export { type PromptFile, type PromptVersion } from "./lib/schema/prompt.ts";
export { type Slice, type Task, type TaskFile } from "./lib/schema/task.ts";

// Providers
export {
  type ChatMessage,
  type FakeHints,
  type ModelAdapter,
  type ModelRequest,
  type ModelResponse,
  ProviderError,
  type ProviderErrorKind,
  type StructuredOutput,
  type Usage,
} from "./lib/providers/adapter.ts";
export {
  createAdapter,
  type CreateAdapterOptions,
} from "./lib/providers/create_adapter.ts";
export {
  type Cost,
  costOf,
  priceAt,
  type PriceAtOptions,
  type PriceRow,
  sumCosts,
} from "./lib/providers/pricing.ts";
export {
  type ModelConfig,
  type Price,
  type Provider,
} from "./lib/schema/model.ts";
export { type ModelParams } from "./lib/schema/prompt.ts";

// Trace
export {
  type ChainMark,
  type EventInput,
  type StartTraceOptions,
  Tracer,
} from "./lib/trace/tracer.ts";
export {
  type ChainProblem,
  GENESIS_HASH,
  hashEvent,
  type TraceEvent,
  type UnhashedEvent,
  verifyChain,
} from "./lib/trace/event.ts";
export {
  type Workflow,
  type WorkflowInput,
  type WorkflowStep,
} from "./lib/trace/workflow.ts";

// Scoring
export { fakeJudge } from "./lib/providers/fake_judge.ts";

// Experiment
export {
  cacheKey,
  type CacheMode,
  experiment,
  type ExperimentOptions,
  type ExperimentResult,
  type RunSummary,
} from "./lib/experiment/experiment.ts";
export { type RenderedPrompt, renderPrompt } from "./lib/experiment/render.ts";
export type { RetryPolicy } from "./lib/experiment/call_model.ts";
export type { RateLimits } from "./lib/experiment/rate_limiter.ts";
export type {
  ProgressSink,
  ProgressUpdate,
} from "./lib/experiment/progress.ts";
export {
  getRun,
  listRuns,
  type RunRecord,
  type RunStatus,
} from "./lib/store/runs.ts";
export type {
  CallError,
  CallPurpose,
  Receipt,
  RecordedRequest,
} from "./lib/schema/receipt.ts";
export type {
  CellResult,
  CellStatus,
  CheckResult,
  RubricScore,
} from "./lib/schema/result.ts";
