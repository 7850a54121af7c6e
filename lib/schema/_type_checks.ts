// Compile-time proof that each hand-written interface is exactly what its
// zod schema parses to. `deno check` fails here when the two drift apart.
import type * as z from "zod";
import type { Case, CaseSchema } from "./dataset.ts";
import type {
  ModelConfig,
  ModelConfigSchema,
  ModelsFile,
  ModelsFileSchema,
  Price,
  PriceSchema,
} from "./model.ts";
import type {
  ModelParams,
  ModelParamsSchema,
  PromptFile,
  PromptFileSchema,
} from "./prompt.ts";
import type {
  Bounds,
  BoundsSchema,
  CheckSpec,
  CheckSpecSchema,
  Limits,
  LimitsSchema,
  Rubric,
  RubricSchema,
  Slice,
  SliceSchema,
  TaskFile,
  TaskFileSchema,
} from "./task.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function same<A, B>(_: Same<A, B>): void {}

same<Case, z.infer<typeof CaseSchema>>(true);
same<ModelConfig, z.infer<typeof ModelConfigSchema>>(true);
same<ModelsFile, z.infer<typeof ModelsFileSchema>>(true);
same<Price, z.infer<typeof PriceSchema>>(true);
same<ModelParams, z.infer<typeof ModelParamsSchema>>(true);
same<PromptFile, z.infer<typeof PromptFileSchema>>(true);
same<CheckSpec, z.infer<typeof CheckSpecSchema>>(true);
same<Limits, z.infer<typeof LimitsSchema>>(true);
same<Bounds, z.infer<typeof BoundsSchema>>(true);
same<Rubric, z.infer<typeof RubricSchema>>(true);
same<Slice, z.infer<typeof SliceSchema>>(true);
same<TaskFile, z.infer<typeof TaskFileSchema>>(true);
