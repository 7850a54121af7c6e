/**
 * The folders of lib/ are layers: a folder imports only from the folders
 * before it in {@linkcode LAYERS} (and `lib/errors.ts`), so data shapes do
 * not depend on providers, the store does not depend on tracing, and so on
 * up to the CLI. Tests are exempt: they may use any layer to build fixtures.
 */
import assert from "node:assert/strict";

const LIB = new URL("./", import.meta.url);

/** Lowest first. See docs/ARCHITECTURE.md. */
const LAYERS = [
  "content",
  "schema",
  "checks",
  "store",
  "providers",
  "catalog",
  "trace",
  "scoring",
  "experiment",
  "production",
  "compare",
  "gate",
  "bundle",
  "report",
  "cli",
] as const;

/** Each relative module specifier a source imports or re-exports, statically or with `import()`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^;]*?\sfrom\s*"(\.{1,2}\/[^"]+)"/gs,
    /\bimport\s*"(\.{1,2}\/[^"]+)"/g,
    /\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

/** The lib/ folder a specifier resolves to from a file, or null outside lib/'s folders. */
function folderOf(file: URL, specifier: string): string | null {
  const target = new URL(specifier, file).href;
  if (!target.startsWith(LIB.href)) return null;
  const rest = target.slice(LIB.href.length);
  const slash = rest.indexOf("/");
  return slash < 0 ? null : rest.slice(0, slash);
}

async function* sources(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* sources(url);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      yield url;
    }
  }
}

Deno.test("lib/'s folders import only the layers below them", async () => {
  const folders: string[] = [];
  for await (const e of Deno.readDir(LIB)) {
    if (e.isDirectory) folders.push(e.name);
  }
  folders.sort();
  assert.deepEqual(
    folders,
    [...LAYERS].sort(),
    "every lib/ folder has a place in LAYERS (add a new folder there)",
  );
  const wrong: string[] = [];
  let crossing = 0;
  for (const [rank, layer] of LAYERS.entries()) {
    for await (const file of sources(new URL(`${layer}/`, LIB))) {
      const source = await Deno.readTextFile(file);
      for (const specifier of specifiers(source)) {
        const folder = folderOf(file, specifier);
        if (folder === null || folder === layer) continue;
        crossing++;
        const at = LAYERS.indexOf(folder as typeof LAYERS[number]);
        if (at < 0 || at >= rank) {
          wrong.push(
            `${
              file.href.slice(LIB.href.length)
            } imports "${specifier}": ${layer} may import only ${
              LAYERS.slice(0, rank).join(", ") || "nothing"
            } (move the shared part down a layer, e.g. a type to lib/schema/)`,
          );
        }
      }
    }
  }
  assert.ok(crossing > 100, `only ${crossing} cross-folder imports read`);
  assert.deepEqual(wrong, []);
});

Deno.test("the layer check reads static, type-only, re-exported and dynamic imports", () => {
  const source = `import { a } from "../store/open.ts";
import type {
  B,
} from "./local.ts";
export { c } from "../trace/event.ts";
import "../content/side_effect.ts";
const m = await import("../cli/command.ts");
import { d } from "npm:zod";`;
  assert.deepEqual(specifiers(source), [
    "../store/open.ts",
    "./local.ts",
    "../trace/event.ts",
    "../content/side_effect.ts",
    "../cli/command.ts",
  ]);
  const file = new URL("scoring/score_run.ts", LIB);
  assert.equal(folderOf(file, "../store/open.ts"), "store");
  assert.equal(folderOf(file, "./judge.ts"), "scoring");
  assert.equal(folderOf(file, "../errors.ts"), null);
  assert.equal(folderOf(file, "../../scripts/x.ts"), null);
});
