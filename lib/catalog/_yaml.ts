import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Issue } from "../errors.ts";
import type { Path } from "./_issues.ts";

/** A parsed YAML file: its plain value and a way to find a field's line. */
export interface YamlFile {
  readonly value: unknown;
  /** The 1-based line of the deepest node of `path` that exists. */
  lineOf(path: Path): number | undefined;
}

/** The YAML file, or the issues that stopped it being parsed. */
export type YamlResult =
  | { readonly ok: true; readonly yaml: YamlFile }
  | { readonly ok: false; readonly issues: Issue[] };

/**
 * Parses one YAML document with the `yaml` package, keeping node positions
 * so that schema issues can name a line. Syntax errors become issues with
 * the parser's line; an empty file is an issue that says what belongs in it.
 */
export function parseYaml(
  text: string,
  file: string,
  expected: string,
): YamlResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => ({
        file,
        line: lineCounter.linePos(error.pos[0]).line,
        message: `YAML syntax error: ${firstLine(error.message)}`,
      })),
    };
  }
  if (doc.contents === null) {
    return {
      ok: false,
      issues: [{ file, message: `file is empty: write ${expected}` }],
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      issues: [{
        file,
        message: `YAML cannot be read: ${
          error instanceof Error ? error.message : String(error)
        }`,
      }],
    };
  }
  const lineAt = (node: unknown): number | undefined => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  return {
    ok: true,
    yaml: {
      value,
      lineOf(path: Path): number | undefined {
        let node: unknown = doc.contents;
        let line = lineAt(node);
        for (const key of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) =>
              String(isScalar(p.key) ? p.key.value : p.key) === String(key)
            );
            if (!pair) break;
            line = lineAt(pair.key) ?? line;
            node = pair.value;
          } else if (isSeq(node) && typeof key === "number") {
            const item = node.items[key];
            if (item === undefined) break;
            line = lineAt(item) ?? line;
            node = item;
          } else {
            break;
          }
        }
        return line;
      },
    },
  };
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
