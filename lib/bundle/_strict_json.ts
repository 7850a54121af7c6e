/**
 * A strict JSON parser (RFC 8259) for bundles: unlike `JSON.parse`, which
 * silently keeps the last of two equal keys, it refuses duplicate keys, and
 * it refuses strings holding a lone UTF-16 surrogate (RFC 8785 cannot
 * canonicalize them). Numbers are IEEE 754 doubles, as RFC 8785 requires.
 *
 * @module
 */

const MAX_DEPTH = 512;

/** A JSON syntax error with the 0-based character offset it was found at. */
export class StrictJsonError extends SyntaxError {
  /** Where in the text the problem is (0-based, in UTF-16 code units). */
  readonly offset: number;

  /** Builds the error. */
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = "StrictJsonError";
    this.offset = offset;
  }
}

/**
 * Parses JSON text strictly: whitespace around one value, no duplicate keys,
 * no lone surrogates, nothing after the value.
 *
 * @param text The JSON text.
 * @returns The value.
 * @throws {StrictJsonError} On any syntax error or duplicate key.
 */
export function parseJsonStrict(text: string): unknown {
  const parser = new Parser(text);
  parser.ws();
  const value = parser.value(0);
  parser.ws();
  if (parser.pos !== text.length) {
    parser.fail("unexpected text after the value");
  }
  return value;
}

class Parser {
  pos = 0;
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  fail(message: string, at: number = this.pos): never {
    throw new StrictJsonError(message, at);
  }

  ws(): void {
    const t = this.text;
    let p = this.pos;
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: // {
        return this.object(depth);
      case 0x5b: // [
        return this.array(depth);
      case 0x22: // "
        return this.string();
      case 0x74: // t
        return this.literal("true", true);
      case 0x66: // f
        return this.literal("false", false);
      case 0x6e: // n
        return this.literal("null", null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        if (Number.isNaN(c)) this.fail("unexpected end of text");
        this.fail(`unexpected character '${this.text[this.pos]}'`);
    }
  }

  literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail(`unexpected character '${this.text[this.pos]}'`);
    }
    this.pos += word.length;
    return value;
  }

  object(depth: number): Record<string, unknown> {
    this.pos++; // {
    const result: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 0x22) {
        this.fail("expected a string key");
      }
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key '${key}'`, keyAt);
      seen.add(key);
      this.ws();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.ws();
      const item = this.value(depth + 1);
      if (key === "__proto__") {
        // defineProperty keeps "__proto__" as an own data property.
        Object.defineProperty(result, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else {
        result[key] = item;
      }
      this.ws();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        continue;
      }
      if (next === 0x7d) {
        this.pos++;
        return result;
      }
      this.fail("expected ',' or '}'");
    }
  }

  array(depth: number): unknown[] {
    this.pos++; // [
    const result: unknown[] = [];
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return result;
    }
    for (;;) {
      this.ws();
      result.push(this.value(depth + 1));
      this.ws();
      const next = this.text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        continue;
      }
      if (next === 0x5d) {
        this.pos++;
        return result;
      }
      this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    const t = this.text;
    const start = ++this.pos; // opening quote
    let p = start;
    // Fast path: no escapes.
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        const s = t.slice(start, p);
        this.pos = p + 1;
        if (!s.isWellFormed()) this.fail("lone surrogate in string", start);
        return s;
      }
      if (c === 0x5c || c < 0x20) break;
      p++;
    }
    let out = t.slice(start, p);
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        if (!out.isWellFormed()) this.fail("lone surrogate in string", start);
        return out;
      }
      if (c < 0x20) this.fail("unescaped control character in string", p);
      if (c !== 0x5c) {
        const run = p;
        while (p < t.length) {
          const d = t.charCodeAt(p);
          if (d === 0x22 || d === 0x5c || d < 0x20) break;
          p++;
        }
        out += t.slice(run, p);
        continue;
      }
      const e = t[p + 1];
      switch (e) {
        case '"':
          out += '"';
          break;
        case "\\":
          out += "\\";
          break;
        case "/":
          out += "/";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = t.slice(p + 2, p + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape", p);
          out += String.fromCharCode(parseInt(hex, 16));
          p += 6;
          continue;
        }
        default:
          this.fail("bad escape in string", p);
      }
      p += 2;
    }
    this.fail("unterminated string", start - 1);
  }

  number(): number {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p++;
    const digit = (at: number) => {
      const c = t.charCodeAt(at);
      return c >= 0x30 && c <= 0x39;
    };
    if (t.charCodeAt(p) === 0x30) p++;
    else if (digit(p)) { while (digit(p)) p++; }
    else this.fail("bad number", start);
    if (t.charCodeAt(p) === 0x2e) {
      p++;
      if (!digit(p)) this.fail("bad number", start);
      while (digit(p)) p++;
    }
    const e = t.charCodeAt(p);
    if (e === 0x65 || e === 0x45) {
      p++;
      const sign = t.charCodeAt(p);
      if (sign === 0x2b || sign === 0x2d) p++;
      if (!digit(p)) this.fail("bad number", start);
      while (digit(p)) p++;
    }
    this.pos = p;
    const value = Number(t.slice(start, p));
    if (!Number.isFinite(value)) this.fail("number out of range", start);
    return value;
  }
}
