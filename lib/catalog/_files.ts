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

/** One line of a catalog file, or the line where its bytes stop being UTF-8. */
export type CatalogLine =
  | { readonly ok: true; readonly line: number; readonly text: string }
  | { readonly ok: false; readonly issue: Issue };

const LF = 0x0a;
const CR = 0x0d;
const CHUNK_BYTES = 1 << 16;

/**
 * Reads a catalog file line by line, as {@linkcode readCatalogText} would
 * split its text on LF: the same byte order mark and CRLF handling, the same
 * line numbers (1-based, blank lines included) and, at the first line that
 * is not UTF-8, the same issue (nothing follows it). The file is read 1 MB
 * at a time, so a large JSONL file is never in memory as a whole.
 */
export async function* readCatalogLines(
  root: string,
  file: string,
  chunkBytes: number = CHUNK_BYTES,
): AsyncGenerator<CatalogLine, void, undefined> {
  using handle = await Deno.open(join(root, file), { read: true });
  let line = 0;
  const invalid = (): CatalogLine => ({
    ok: false,
    issue: {
      file,
      line,
      message: "file is not valid UTF-8: save it with UTF-8 encoding",
    },
  });
  const text = (value: string): CatalogLine =>
    line === 1 && value.charCodeAt(0) === 0xfeff
      ? { ok: true, line, text: value.slice(1) }
      : { ok: true, line, text: value };
  // The bytes after the last LF read so far (a line not yet complete).
  let carry: Uint8Array[] = [];
  while (true) {
    const buffer = new Uint8Array(chunkBytes);
    const read = await handle.read(buffer);
    if (read === null) break;
    const chunk = buffer.subarray(0, read);
    if (chunk.lastIndexOf(LF) < 0) {
      carry.push(chunk);
      continue;
    }
    const data = concat([...carry, chunk]);
    const lastLf = data.lastIndexOf(LF);
    // Every line of the block ends with LF: a CR before it is dropped (CRLF),
    // as `replaceAll("\r\n", "\n")` does. UTF-8 never has an LF byte inside
    // a character, so decoding a block of whole lines is decoding each line.
    const block = data.subarray(0, lastLf);
    carry = [data.subarray(lastLf + 1)];
    let decoded: string | undefined;
    try {
      decoded = FATAL_UTF8.decode(block);
    } catch {
      decoded = undefined;
    }
    if (decoded !== undefined) {
      for (const piece of decoded.split("\n")) {
        line++;
        yield text(piece.endsWith("\r") ? piece.slice(0, -1) : piece);
      }
      continue;
    }
    // Not UTF-8 somewhere in the block: decode line by line to find where.
    let start = 0;
    while (start <= block.length) {
      let end = block.indexOf(LF, start);
      if (end < 0) end = block.length;
      line++;
      const bytes = block.subarray(start, end);
      let piece: string;
      try {
        piece = FATAL_UTF8.decode(
          bytes.length > 0 && bytes[bytes.length - 1] === CR
            ? bytes.subarray(0, -1)
            : bytes,
        );
      } catch {
        yield invalid();
        return;
      }
      yield text(piece);
      start = end + 1;
    }
  }
  // The last line (after the last LF) keeps any CR.
  line++;
  let last: string;
  try {
    last = FATAL_UTF8.decode(concat(carry));
  } catch {
    yield invalid();
    return;
  }
  yield text(last);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
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
