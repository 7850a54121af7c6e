import assert from "node:assert/strict";
import { hostileBundle } from "../report/_hostile_bundle.ts";
import { main } from "./main.ts";
import { reportCommand } from "./report.ts";
import { summaryCommand } from "./summary.ts";
import { capture } from "./_test_io.ts";
import { generateKeyPair } from "../bundle/keys.ts";

const COMMANDS = [reportCommand, summaryCommand];

const made = hostileBundle();

async function withBundle(
  fn: (dir: string, file: string, sha256: string) => Promise<void>,
): Promise<void> {
  const { text, sha256 } = await made;
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/bundle.json`;
    await Deno.writeTextFile(file, text);
    await fn(dir, file, sha256);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("wb report writes the HTML report of a bundle", async () => {
  await withBundle(async (dir, file, sha256) => {
    const { io, out } = capture();
    const code = await main(
      ["report", file, "-o", `${dir}/report.html`, "--expect", sha256],
      io,
      COMMANDS,
    );
    assert.equal(code, 0);
    assert.match(out[0] ?? "", /report\.html: report of .*bundle\.json \(OK /);
    const html = await Deno.readTextFile(`${dir}/report.html`);
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.ok(
      html.includes(`deno task wb verify bundle.json --expect ${sha256}`),
    );
  });
});

Deno.test("wb report exits 1 for a tampered bundle and still writes the report", async () => {
  await withBundle(async (dir, file) => {
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(
      file,
      text.replace('\\"match_score\\":60', '\\"match_score\\":59'),
    );
    const { io } = capture();
    const code = await main(
      ["report", file, "-o", `${dir}/report.html`],
      io,
      COMMANDS,
    );
    assert.equal(code, 1);
    assert.match(
      await Deno.readTextFile(`${dir}/report.html`),
      /INTEGRITY FAILED/,
    );
  });
});

Deno.test("wb report refuses missing arguments", async () => {
  const { io, err } = capture();
  assert.equal(await main(["report", "x.json"], io, COMMANDS), 2);
  assert.match(err.join("\n"), /missing -o/);
  assert.equal(
    await main(["report", "/nonexistent/b.json", "-o", "r.html"], io, COMMANDS),
    2,
  );
});

Deno.test("wb summary BUNDLE prints the verdict first and the verify command", async () => {
  await withBundle(async (dir, file, sha256) => {
    const { io, out } = capture();
    assert.equal(await main(["summary", file], io, COMMANDS), 0);
    const text = out.join("\n");
    assert.match(text, /^## ❌ Prompt verdict: REJECTED/);
    assert.ok(text.includes(`--expect ${sha256}`));
    assert.doesNotMatch(text, /<script|<img/);
    assert.equal(
      await main(["summary", file, "--markdown", `${dir}/s.md`], io, COMMANDS),
      0,
    );
    assert.equal(await Deno.readTextFile(`${dir}/s.md`), text + "\n");
    // A bundle that does not verify is summarised with the warning first,
    // and the exit code says so.
    const original = await Deno.readTextFile(file);
    const tampered = original.replace('"repetitions":3', '"repetitions":4');
    assert.notEqual(tampered, original);
    await Deno.writeTextFile(`${dir}/tampered.json`, tampered);
    const bad = capture();
    assert.equal(
      await main(["summary", `${dir}/tampered.json`], bad.io, COMMANDS),
      1,
    );
    assert.match(bad.out.join("\n"), /^> ❌ \*\*This bundle does not verify/);
  });
});

Deno.test("wb report --pubkey checks the signature and prints the complete verify command", async () => {
  const testdata = new URL("../bundle/testdata/", import.meta.url);
  const bundleFile = new URL("example.bundle.json", testdata).pathname;
  const pubkey = new URL("example.pub.jwk", testdata).pathname;
  const sha256 = (await Deno.readTextFile(new URL("example.sha256", testdata)))
    .trim();
  const dir = await Deno.makeTempDir();
  try {
    const { io, out } = capture();
    const code = await main(
      ["report", bundleFile, "-o", `${dir}/r.html`, "--pubkey", pubkey],
      io,
      COMMANDS,
    );
    assert.equal(code, 0);
    assert.match(out[0] ?? "", /; signed by [0-9a-f]{64}\)$/);
    const html = await Deno.readTextFile(`${dir}/r.html`);
    assert.match(html, /verified against the given public key/);
    assert.ok(
      html.includes(
        `deno task wb verify example.bundle.json --pubkey example.pub.jwk --expect ${sha256}`,
      ),
    );

    // Without the key the page says the signature was not checked.
    const unchecked = capture();
    await main(
      ["report", bundleFile, "-o", `${dir}/u.html`],
      unchecked.io,
      COMMANDS,
    );
    const plain = await Deno.readTextFile(`${dir}/u.html`);
    assert.match(plain, /NOT checked: render with --pubkey/);
    assert.ok(plain.includes(`--pubkey SIGNER.pub --expect ${sha256}`));

    // Another key: the report says the check failed, and the command exits 1.
    const other = `${dir}/other.pub`;
    const { publicJwk } = await generateKeyPair();
    await Deno.writeTextFile(other, JSON.stringify(publicJwk));
    const failed = capture();
    const failedCode = await main(
      ["report", bundleFile, "-o", `${dir}/f.html`, "--pubkey", other],
      failed.io,
      COMMANDS,
    );
    assert.equal(failedCode, 1);
    assert.match(
      await Deno.readTextFile(`${dir}/f.html`),
      /FAILED against the given public key/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
