/**
 * docs/bundle-format.md's appendix B is a verifier in Python written from
 * the document alone. This runs its canonicalization (everything before
 * `def sha(`, which needs no third-party package) against this project's:
 * on the example bundle's payload hash, and on numbers where a plain
 * `json.dumps` differs from RFC 8785.
 */
import assert from "node:assert/strict";
import { canonicalize } from "../content/canonicalize.ts";
import { contentHash, sha256Hex } from "../content/sha256.ts";
import { loadCatalog } from "../catalog/load_catalog.ts";
import { experiment } from "../experiment/experiment.ts";
import { open } from "../store/open.ts";
import { bundle } from "./bundle.ts";
import { generateKeyPair, signSha256 } from "./keys.ts";
import { writeFixture } from "./_test_fixture.ts";

const DOC = new URL("../../docs/bundle-format.md", import.meta.url);
const EXAMPLE = new URL("./testdata/example.bundle.json", import.meta.url);
const EXAMPLE_SHA = new URL("./testdata/example.sha256", import.meta.url);
const ROOT = new URL("../../", import.meta.url).pathname;

async function python(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["-c", "import json, math, hashlib"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success ? undefined : "python3 cannot import json";
  } catch {
    return "python3 not found";
  }
}

const missing = await python();

Deno.test({
  name: "bundle-format.md appendix B canonicalizes exactly as the toolkit does",
  ignore: missing !== undefined,
  async fn() {
    const doc = await Deno.readTextFile(DOC);
    const appendix = doc.slice(doc.indexOf("## Appendix B"));
    const code = /```python\n([\s\S]*?)```/.exec(appendix)?.[1];
    assert.ok(code, "appendix B has a python block");
    const definitions = code.slice(0, code.indexOf("def sha("))
      .split("\n").filter((line) => !line.startsWith("from cryptography"))
      .join("\n");
    assert.match(definitions, /def jcs\(v\):/);
    const values = [
      0.000028707222,
      5e-324,
      1e21,
      1e-7,
      123456789012345680000,
      -0.5,
      2 ** 53 + 2,
      { "\u{1F600}": 1, "\uE000": [true, null, 'x\u2028\u0001"\\'] },
    ];
    const script = `${definitions}
import hashlib, json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
doc.pop("integrity")
print(hashlib.sha256(jcs(doc).encode("utf-8")).hexdigest())
print(json.dumps([jcs(v) for v in json.loads(sys.argv[2])]))
`;
    const output = await new Deno.Command("python3", {
      args: [
        "-c",
        script,
        EXAMPLE.pathname,
        JSON.stringify(values),
      ],
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const [payload, texts] = new TextDecoder().decode(output.stdout).trim()
      .split("\n");
    assert.equal(payload, (await Deno.readTextFile(EXAMPLE_SHA)).trim());
    assert.deepEqual(JSON.parse(texts!), values.map((v) => canonicalize(v)));
  },
});

Deno.test({
  name:
    "bundle-format.md appendix B verifies the example bundle (version 1), a new signed one and a cached run's (version 2), and tells their created_at apart",
  ignore: missing !== undefined || !(await hasCryptography()),
  async fn() {
    const doc = await Deno.readTextFile(DOC);
    const appendix = doc.slice(doc.indexOf("## Appendix B"));
    const code = /```python\n([\s\S]*?)```/.exec(appendix)?.[1];
    assert.ok(code, "appendix B has a python block");
    const dir = await Deno.makeTempDir();
    try {
      const script = `${dir}/verify.py`;
      await Deno.writeTextFile(script, code);
      const run = async (bundleFile: string, keyFile: string) => {
        const output = await new Deno.Command("python3", {
          args: [script, bundleFile, keyFile],
        }).output();
        assert.ok(output.success, new TextDecoder().decode(output.stderr));
        return new TextDecoder().decode(output.stdout).trim().split("\n");
      };
      const old = await run(
        EXAMPLE.pathname,
        new URL("./testdata/example.pub.jwk", import.meta.url).pathname,
      );
      const exampleSha = (await Deno.readTextFile(EXAMPLE_SHA)).trim();
      assert.match(old[0]!, new RegExp(`^OK ${exampleSha} signed by `));
      assert.match(old[1]!, /is when an older writer made it/);

      await using store = await open(":memory:");
      const fixture = await writeFixture(store);
      const keys = await generateKeyPair();
      const made = await bundle(store, {
        comparison: fixture.comparison,
        sign: keys.privateJwk,
      });
      await Deno.writeTextFile(`${dir}/b.json`, made.text!);
      await Deno.writeTextFile(`${dir}/k.pub`, JSON.stringify(keys.publicJwk));
      const fresh = await run(`${dir}/b.json`, `${dir}/k.pub`);
      assert.equal(fresh[0], `OK ${made.sha256} signed by ${keys.keyId}`);
      assert.match(fresh[1]!, /is the newest evidence time$/);

      // Version 2: a cached re-run, its cache hits carried as references.
      await using cached = await open(":memory:");
      await loadCatalog(cached, { root: ROOT });
      const options = {
        task: "support_triage",
        prompts: ["v2"],
        models: ["fake-fast"],
        cases: ["st-001"],
      };
      await experiment(cached, options);
      const rerun = (await experiment(cached, options)).runs[0]!;
      assert.ok(rerun.cache_hits > 0);
      const v2 = await bundle(cached, {
        runs: [rerun.run_id],
        sign: keys.privateJwk,
      });
      const parsed = JSON.parse(v2.text!);
      assert.equal(parsed.version, 2);
      const references = parsed.sections.receipts.filter((
        r: Record<string, unknown>,
      ) => "cached_sha256" in r);
      assert.equal(references.length, rerun.cache_hits);
      await Deno.writeTextFile(`${dir}/v2.json`, v2.text!);
      const second = await run(`${dir}/v2.json`, `${dir}/k.pub`);
      assert.equal(second[0], `OK ${v2.sha256} signed by ${keys.keyId}`);
      // Each forgery below recomputes every hash a forger can and signs
      // again with the key, so only the reference rules refuse it.
      const refused = async (
        name: string,
        edit: (receipts: Record<string, unknown>[]) => void,
      ) => {
        const doc = JSON.parse(v2.text!);
        edit(doc.sections.receipts);
        doc.toc.receipts = doc.sections.receipts.map((
          r: Record<string, unknown>,
        ) => ({ id: r.id, sha256: sha256Hex(canonicalize(r)) }));
        const { integrity: _, ...payload } = doc;
        const sha256 = sha256Hex(canonicalize(payload));
        const integrity = {
          canonicalization: "RFC8785",
          digest: "sha256",
          sha256,
          signature: await signSha256(sha256, keys.privateJwk),
        };
        await Deno.writeTextFile(
          `${dir}/${name}.json`,
          `${canonicalize(payload).slice(0, -1)},"integrity":${
            canonicalize(integrity)
          }}`,
        );
        const output = await new Deno.Command("python3", {
          args: [script, `${dir}/${name}.json`, `${dir}/k.pub`],
          stderr: "piped",
        }).output();
        assert.equal(output.success, false, `${name} was accepted`);
        return new TextDecoder().decode(output.stderr);
      };
      const seal = (r: Record<string, unknown>) => {
        const { sha256: _, ...rest } = r;
        return { ...rest, sha256: contentHash(rest) };
      };
      const at = (receipts: Record<string, unknown>[], id: unknown) =>
        receipts.findIndex((r) => r.id === id);
      const hit = references[0];
      // A reference naming another sha256 than its original's.
      assert.match(
        await refused("other_sha", (receipts) => {
          receipts[at(receipts, hit.id)] = seal({
            ...hit,
            cached_sha256: "0".repeat(64),
          });
        }),
        /AssertionError/,
      );
      // A reference whose original was removed.
      assert.match(
        await refused("missing", (receipts) => {
          receipts.splice(at(receipts, hit.cached_from), 1);
        }),
        /KeyError/,
      );
      // A reference naming another reference (a chain).
      assert.ok(references.length >= 2);
      assert.match(
        await refused("chained", (receipts) => {
          receipts[at(receipts, references[1].id)] = seal({
            ...references[1],
            cached_from: hit.id,
            cached_sha256: hit.sha256,
          });
        }),
        /AssertionError/,
      );
      // A reference naming another request (cache key) than its original's.
      assert.match(
        await refused("other_key", (receipts) => {
          receipts[at(receipts, hit.id)] = seal({
            ...hit,
            cache_key: "f".repeat(64),
          });
        }),
        /AssertionError/,
      );
      // A reference carrying a response of its own besides its original's.
      assert.match(
        await refused("with_bodies", (receipts) => {
          const original = receipts[at(receipts, hit.cached_from)]!;
          receipts[at(receipts, hit.id)] = seal({
            ...hit,
            request: original.request,
            response: { ...original.response as object, text: "forged" },
          });
        }),
        /AssertionError/,
      );
      // The original twice: a changed copy first (its own hash not
      // recomputed), the one the reference names after it.
      assert.match(
        await refused("twice", (receipts) => {
          const original = receipts[at(receipts, hit.cached_from)]!;
          receipts.unshift({
            ...original,
            response: { ...original.response as object, text: "forged" },
          });
        }),
        /AssertionError/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function hasCryptography(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["-c", "import cryptography"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
