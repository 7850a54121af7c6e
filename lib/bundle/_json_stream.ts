/**
 * Reads a JSON document from a byte stream one value at a time, so a large
 * bundle is checked record by record without holding the file in memory.
 * Only the structure around the values is walked here; each value's text is
 * then parsed by the strict parser.
 *
 * @module
 */

/** Where bundle bytes come from. */
export type ByteSource = string | Uint8Array | ReadableStream<Uint8Array>;

/** A syntax error in the stream, with its byte offset. */
export class StreamSyntaxError extends SyntaxError {
  /** The 0-based byte offset of the problem. */
  readonly offset: number;

  /** Builds the error. */
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "StreamSyntaxError";
    this.offset = offset;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Pulls bytes and hands out whole JSON values (as text) and single bytes. */
export class JsonStreamReader {
  #chunks: AsyncIterator<Uint8Array> | null;
  #buf: Uint8Array = new Uint8Array(0);
  /** Absolute offset of #buf[0]. */
  #base = 0;
  /** Absolute offset of the next unread byte. */
  #pos = 0;
  /** Bytes before this absolute offset may be dropped. */
  #mark = 0;
  #decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  private constructor(
    first: Uint8Array,
    chunks: AsyncIterator<Uint8Array> | null,
  ) {
    this.#buf = first;
    this.#chunks = chunks;
  }

  /** A reader over text, bytes or a byte stream. */
  static from(source: ByteSource): JsonStreamReader {
    if (typeof source === "string") {
      return new JsonStreamReader(new TextEncoder().encode(source), null);
    }
    if (source instanceof Uint8Array) return new JsonStreamReader(source, null);
    return new JsonStreamReader(
      new Uint8Array(0),
      source[Symbol.asyncIterator](),
    );
  }

  /** The absolute offset of the next unread byte. */
  get offset(): number {
    return this.#pos;
  }

  /** Reads one more chunk; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#chunks === null) return false;
    const next = await this.#chunks.next();
    if (next.done) {
      this.#chunks = null;
      return false;
    }
    const chunk = next.value;
    const keepFrom = Math.min(this.#mark, this.#pos) - this.#base;
    const kept = this.#buf.subarray(keepFrom);
    if (kept.length === 0) {
      this.#buf = chunk;
    } else {
      const merged = new Uint8Array(kept.length + chunk.length);
      merged.set(kept, 0);
      merged.set(chunk, kept.length);
      this.#buf = merged;
    }
    this.#base += keepFrom;
    return true;
  }

  /** The byte at an absolute offset, or -1 past the end. */
  async #byteAt(at: number): Promise<number> {
    while (at - this.#base >= this.#buf.length) {
      if (!await this.#fill()) return -1;
    }
    return this.#buf[at - this.#base]!;
  }

  /** Skips whitespace; returns the next byte (not consumed), -1 at the end. */
  async peek(): Promise<number> {
    this.#mark = this.#pos;
    for (;;) {
      const c = await this.#byteAt(this.#pos);
      if (c === -1 || !isWs(c)) return c;
      this.#pos++;
      this.#mark = this.#pos;
    }
  }

  /** Consumes one expected structural byte (after whitespace). */
  async expect(byte: number): Promise<void> {
    const c = await this.peek();
    if (c !== byte) {
      throw new StreamSyntaxError(
        c === -1
          ? `expected '${String.fromCharCode(byte)}' but the file ended`
          : `expected '${String.fromCharCode(byte)}' but found '${
            String.fromCharCode(c)
          }'`,
        this.#pos,
      );
    }
    this.#pos++;
  }

  /**
   * Reads one complete JSON value (after whitespace) and returns its text.
   * The value's syntax is checked only as far as finding its end; parse
   * the text strictly afterwards.
   */
  async readValue(): Promise<{ text: string; offset: number }> {
    const first = await this.peek();
    const start = this.#pos;
    this.#mark = start;
    if (first === -1) {
      throw new StreamSyntaxError("expected a value but the file ended", start);
    }
    let i = start;
    let end = -1;
    if (first === QUOTE) {
      i++;
      for (;;) {
        const c = await this.#byteAt(i);
        if (c === -1) break;
        if (c === BACKSLASH) i += 2;
        else if (c === QUOTE) {
          end = i + 1;
          break;
        } else i++;
      }
    } else if (first === 0x7b || first === 0x5b) {
      let depth = 0;
      let inString = false;
      outer: for (;;) {
        // Scan what is buffered without awaiting per byte.
        let buf = this.#buf;
        let local = i - this.#base;
        if (local >= buf.length) {
          if (!await this.#fill()) break;
          continue;
        }
        buf = this.#buf;
        local = i - this.#base;
        while (local < buf.length) {
          const c = buf[local]!;
          if (inString) {
            if (c === BACKSLASH) {
              local += 2;
              continue;
            }
            if (c === QUOTE) inString = false;
          } else if (c === QUOTE) inString = true;
          else if (c === 0x7b || c === 0x5b) depth++;
          else if (c === 0x7d || c === 0x5d) {
            depth--;
            if (depth === 0) {
              end = local + 1 + this.#base;
              break outer;
            }
          }
          local++;
        }
        i = local + this.#base;
      }
    } else {
      for (;;) {
        const c = await this.#byteAt(i);
        if (
          c === -1 || isWs(c) || c === 0x2c || c === 0x5d || c === 0x7d
        ) {
          end = i;
          break;
        }
        i++;
      }
    }
    if (end === -1) {
      throw new StreamSyntaxError("the file ended inside a value", start);
    }
    await this.#byteAt(end - 1);
    let text: string;
    try {
      text = this.#decoder.decode(
        this.#buf.subarray(start - this.#base, end - this.#base),
      );
    } catch {
      throw new StreamSyntaxError("invalid UTF-8", start);
    }
    this.#pos = end;
    this.#mark = end;
    return { text, offset: start };
  }

  /** True when only whitespace remains. */
  async atEnd(): Promise<boolean> {
    return await this.peek() === -1;
  }
}
