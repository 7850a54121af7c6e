import assert from "node:assert/strict";
import {
  type CatalogLine,
  readCatalogLines,
  readCatalogText,
} from "./_files.ts";

/** What reading the whole text and splitting it on LF gives. */
async function expectedLines(root: string, file: string) {
  const read = await readCatalogText(root, file);
  if (!read.ok) return { lines: undefined, issue: read.issue };
  return { lines: read.text.split("\n"), issue: undefined };
}

async function linesOf(root: string, file: string, chunkBytes: number) {
  const out: CatalogLine[] = [];
  for await (const line of readCatalogLines(root, file, chunkBytes)) {
    out.push(line);
  }
  return out;
}

const encoder = new TextEncoder();

const SAMPLES: Record<string, Uint8Array> = {
  plain: encoder.encode('{"a": 1}\n{"b": "\u00e9\u4e2d\u{1f600}"}\n'),
  no_final_lf: encoder.encode('{"a": 1}\n\n  \n{"b": 2}'),
  crlf: encoder.encode('{"a": 1}\r\n{"b": "\u00e9"}\r\n\r\n'),
  lone_cr_at_end: encoder.encode('{"a": 1}\r\n{"b": 2}\r'),
  double_cr: encoder.encode('{"a": 1}\r\r\n{"b": 2}\r\n'),
  bom: encoder.encode('\ufeff{"a": 1}\n{"b": 2}\n'),
  two_boms: encoder.encode('\ufeff\ufeff{"a": 1}\n'),
  only_bom: encoder.encode("\ufeff"),
  empty: new Uint8Array(0),
  only_lf: encoder.encode("\n"),
  bad_utf8: new Uint8Array([
    ...encoder.encode('{"a": "\u00e9"}\n{"b": 2}\n{"c": "'),
    0xc3,
    0x28,
    ...encoder.encode('"}\n{"d": 4}\n'),
  ]),
  bad_utf8_last_line: new Uint8Array([
    ...encoder.encode('{"a": 1}\n{"b": "'),
    0xe4,
    0xb8,
  ]),
  bad_utf8_before_crlf: new Uint8Array([
    ...encoder.encode('{"a": 1}\r\n'),
    0xc3,
    0x0d,
    0x0a,
    ...encoder.encode("{}\n"),
  ]),
};

Deno.test("readCatalogLines() yields what splitting the whole text gives, whatever the chunk size", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const [name, bytes] of Object.entries(SAMPLES)) {
      await Deno.writeFile(`${root}/${name}.jsonl`, bytes);
      const file = `${name}.jsonl`;
      const expected = await expectedLines(root, file);
      for (const chunkBytes of [1, 2, 3, 5, 8, 13, 64, 1 << 20]) {
        const got = await linesOf(root, file, chunkBytes);
        const context = `${name} in chunks of ${chunkBytes}`;
        if (expected.lines === undefined) {
          const last = got.at(-1);
          assert.ok(last && !last.ok, context);
          assert.deepEqual(last.issue, expected.issue, context);
          assert.ok(got.slice(0, -1).every((l) => l.ok), context);
        } else {
          assert.deepEqual(
            got,
            expected.lines.map((text, i) => ({ ok: true, line: i + 1, text })),
            context,
          );
        }
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
