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
export type ModelParams = z.infer<typeof ModelParamsSchema>;

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
export type PromptFile = z.infer<typeof PromptFileSchema>;

/** An immutable prompt version as stored. */
export interface PromptVersion {
  /** `<task>@v<version>`, e.g. `resume_matching@v3`. */
  readonly id: string;
  readonly task: string;
  readonly version: number;
  readonly system: string;
  readonly template: string;
  readonly params: ModelParams;
  readonly note: string;
  readonly author: string;
  /** sha256 of the canonical `{system, template, params}`: same content, same version. */
  readonly sha256: string;
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
