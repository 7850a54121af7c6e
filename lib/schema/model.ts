import * as z from "zod";
import { type ModelParams, ModelParamsSchema } from "./prompt.ts";

/** The providers the toolkit has adapters for. */
export const PROVIDERS = ["fake", "anthropic", "openai"] as const;
/** A provider name. */
export const ProviderSchema = z.enum(PROVIDERS);
/** A provider name. */
export type Provider = "fake" | "anthropic" | "openai";

/** A model configuration: which provider and model, with which parameters. */
export const ModelConfigSchema = z.strictObject({
  /** The name runs refer to, e.g. `fake-fast` or `claude-haiku-4-5`. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/),
  provider: ProviderSchema,
  /** The provider's model name. */
  model: z.string().min(1),
  /** Default generation parameters; a prompt version's params override them. */
  params: ModelParamsSchema.default({}),
  /** Base URL for OpenAI-compatible servers (vLLM, Ollama, LM Studio, OpenRouter). */
  base_url: z.url().optional(),
  /** The environment variable holding the API key (never the key itself). */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  /** Provider-specific options (for the fake: its behaviour profile). */
  options: z.record(z.string(), z.unknown()).default({}),
  /**
   * Fake provider only: modules whose exported `behaviours` answer named
   * tasks (docs/fake-provider.md, "Task behaviours"). A path is relative
   * to the toolkit's root (e.g. `demo/fake/behaviours.ts`); a `file:`,
   * `https:`, `jsr:` or `npm:` URL is imported as written.
   */
  behaviours: z.array(
    z.string().regex(
      /^(?:(?:file|https|jsr|npm):|[A-Za-z0-9_.][^:\\]*\.(?:ts|js|mjs|mts)$)/,
      "write a path relative to the toolkit's root ending in .ts or .js (e.g. demo/fake/behaviours.ts), or a file:, https:, jsr: or npm: URL",
    ),
  ).min(1).optional(),
}).refine(
  (config) => config.behaviours === undefined || config.provider === "fake",
  {
    message:
      "only the fake provider reads `behaviours`; remove it from this model config",
    path: ["behaviours"],
  },
);
/** A model configuration. */
export interface ModelConfig {
  /** The name runs refer to, e.g. `fake-fast`. */
  id: string;
  /** Which adapter serves it. */
  provider: Provider;
  /** The provider's model name. */
  model: string;
  /** Default generation parameters. */
  params: ModelParams;
  /** Base URL for OpenAI-compatible servers. */
  base_url?: string | undefined;
  /** The environment variable holding the API key. */
  api_key_env?: string | undefined;
  /** Provider-specific options. */
  options: Record<string, unknown>;
  /** Fake provider only: the modules of its task behaviours. */
  behaviours?: string[] | undefined;
}

/** A decimal amount written as a string, e.g. "0.80". Money is never a float. */
export const DecimalStringSchema = z.string().regex(
  /^\d+(\.\d+)?$/,
  'write money as a decimal string, e.g. "0.80"',
);

/** A price row: what a model costs per million tokens from a date on. */
export const PriceSchema = z.strictObject({
  provider: ProviderSchema,
  model: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
  input_per_mtok: DecimalStringSchema,
  output_per_mtok: DecimalStringSchema,
  cache_read_per_mtok: DecimalStringSchema.optional(),
  cache_write_per_mtok: DecimalStringSchema.optional(),
  /** ISO date (or date-time) from which this price applies. */
  valid_from: z.iso.date().or(z.iso.datetime()),
  /** Where the figure comes from. */
  source: z.string().optional(),
});
/** A price row. */
export interface Price {
  /** The provider. */
  provider: Provider;
  /** The provider's model name. */
  model: string;
  /** ISO 4217 currency code. */
  currency: string;
  /** Price per million input tokens, decimal string. */
  input_per_mtok: string;
  /** Price per million output tokens, decimal string. */
  output_per_mtok: string;
  /** Price per million cache-read tokens, decimal string. */
  cache_read_per_mtok?: string | undefined;
  /** Price per million cache-write tokens, decimal string. */
  cache_write_per_mtok?: string | undefined;
  /** ISO date from which the price applies. */
  valid_from: string;
  /** Where the figure comes from. */
  source?: string | undefined;
}

/** The contents of `models.yaml`: model configurations and dated price history. */
export const ModelsFileSchema = z.strictObject({
  schema_version: z.literal(1),
  models: z.array(ModelConfigSchema).min(1),
  prices: z.array(PriceSchema).default([]),
});
/** The contents of `models.yaml`. */
export interface ModelsFile {
  /** The file format version. */
  schema_version: 1;
  /** Model configurations. */
  models: ModelConfig[];
  /** Dated price history. */
  prices: Price[];
}
