import type { Pipeline } from "../experiment/pipeline.ts";
import { UsageError } from "./command.ts";

/**
 * Imports the pipeline `FILE.ts[#export]` names (the default export when no
 * export is named). Its version is pinned by its own `module` (the defining
 * module's source sha256); a pipeline that names none is pinned to FILE.
 */
export async function importPipeline(spec: string): Promise<Pipeline> {
  const hash = spec.lastIndexOf("#");
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const name = hash > 0 ? spec.slice(hash + 1) : "default";
  const url = new URL(file, `file://${Deno.cwd()}/`);
  let module: Record<string, unknown>;
  try {
    module = await import(url.href);
  } catch (error) {
    throw new UsageError(
      `cannot import --pipeline '${file}': ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const value = module[name] as Partial<Pipeline> | undefined;
  if (
    !value || typeof value !== "object" || typeof value.run !== "function"
  ) {
    const found = Object.entries(module)
      .filter(([, v]) =>
        typeof v === "object" && v !== null &&
        typeof (v as Partial<Pipeline>).run === "function"
      )
      .map(([k]) => k);
    throw new UsageError(
      `'${file}' has no pipeline export '${name}'${
        found.length
          ? `; its pipelines: ${found.join(", ")} (write ${file}#${found[0]})`
          : ""
      }`,
    );
  }
  return { ...value, module: value.module ?? url.href } as Pipeline;
}
