import * as z from "zod";

/** Generation parameters passed to a model. */
export const ModelParamsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
});
/** Generation parameters passed to a model. */
export interface ModelParams {
  /** Sampling temperature. */
  temperature?: number | undefined;
  /** The most tokens to generate. */
  max_tokens?: number | undefined;
  /** Nucleus sampling. */
  top_p?: number | undefined;
  /** Stop sequences. */
  stop?: string[] | undefined;
  /** A sampling seed, where the provider supports one. */
  seed?: number | undefined;
}

/** The contents of `prompts/<task>/vN.yaml`. */
export const PromptFileSchema = z.strictObject({
  schema_version: z.literal(1),
  /** The system prompt. */
  system: z.string(),
  /** The user message, with `{{variable}}` placeholders naming input fields. */
  template: z.string().min(1),
  params: ModelParamsSchema.default({}),
  /** Why this version exists: what changed and what it should fix. */
  note: z.string().min(1),
  author: z.string().min(1).default("unknown"),
});
/** The contents of `prompts/<task>/vN.yaml`. */
export interface PromptFile {
  /** The file format version. */
  schema_version: 1;
  /** The system prompt. */
  system: string;
  /** The user message with `{{variable}}` placeholders. */
  template: string;
  /** Generation parameters. */
  params: ModelParams;
  /** What changed and why. */
  note: string;
  /** Who wrote it. */
  author: string;
}

/** An immutable prompt version as stored. */
export interface PromptVersion {
  /** `<task>@v<version>`, e.g. `resume_matching@v3`. */
  readonly id: string;
  /** The task name. */
  readonly task: string;
  /** N of `vN`: 1, 2, ... without gaps. */
  readonly version: number;
  /** The system prompt. */
  readonly system: string;
  /** The user message template with `{{variable}}` placeholders. */
  readonly template: string;
  /** Generation parameters. */
  readonly params: ModelParams;
  /** Why this version exists. */
  readonly note: string;
  /** Who wrote it. */
  readonly author: string;
  /** sha256 of the canonical `{system, template, params}`: same content, same version. */
  readonly sha256: string;
  /** When it was stored (ISO 8601 UTC). */
  readonly created_at: string;
}

/** The variable names a template uses, in order of first use. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (
    const match of template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)
  ) {
    names.add(match[1]!);
  }
  return [...names];
}
