import { join } from "node:path";
import type { Issue } from "../errors.ts";

/** A catalog file read as text, or the issue that stopped it being read. */
export type TextFile =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly issue: Issue };

const FATAL_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads a catalog file as UTF-8 text. A leading byte order mark is accepted
 * and stripped (editors on Windows write one; it is not content), CRLF line
 * ends become LF (JSON strings cannot hold a raw line break and YAML folds
 * them to LF, so values and content hashes do not change). Bytes that are not
 * UTF-8 are refused with the line they are on.
 */
export async function readCatalogText(
  root: string,
  file: string,
): Promise<TextFile> {
  const bytes = await Deno.readFile(join(root, file));
  let text: string;
  try {
    text = FATAL_UTF8.decode(bytes);
  } catch {
    return {
      ok: false,
      issue: {
        file,
        line: firstInvalidLine(bytes),
        message: "file is not valid UTF-8: save it with UTF-8 encoding",
      },
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text: text.replaceAll("\r\n", "\n") };
}

function firstInvalidLine(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        FATAL_UTF8.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return 1;
}

/** One entry of a directory listing. */
export interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/** Lists a directory sorted by name, or `undefined` when it does not exist. */
export async function listDir(path: string): Promise<DirEntry[] | undefined> {
  const entries: DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(path)) {
      const target = entry.isSymlink
        ? await Deno.stat(join(path, entry.name))
        : entry;
      entries.push({
        name: entry.name,
        isFile: target.isFile,
        isDirectory: target.isDirectory,
      });
    }
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory
    ) {
      return undefined;
    }
    throw error;
  }
  return entries.sort((
    a,
    b,
  ) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether a file exists (and is a file). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
