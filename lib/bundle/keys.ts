/**
 * Ed25519 keys for signing bundles (WebCrypto), and the DSSE envelope a
 * signature travels in.
 *
 * @module
 */
import { canonicalize } from "../content/canonicalize.ts";
import { sha256Hex } from "../content/sha256.ts";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type SignatureSchema,
  STATEMENT_TYPE,
  StatementSchema,
} from "./format.ts";
import { parseJsonStrict } from "./_strict_json.ts";
import type * as z from "zod";

/** An Ed25519 key as a JSON Web Key (RFC 8037), with its key id. */
export interface BundleJwk {
  /** Always `OKP`. */
  readonly kty: "OKP";
  /** Always `Ed25519`. */
  readonly crv: "Ed25519";
  /** The public key, base64url. */
  readonly x: string;
  /** The private key, base64url (private keys only). */
  readonly d?: string;
  /** The key id: sha256 hex of the raw 32-byte public key. */
  readonly kid: string;
}

/** A freshly generated signing key pair. */
export interface BundleKeyPair {
  /** The key id both halves carry. */
  readonly keyId: string;
  /** The private key: keep it secret (the `wb keygen` file is mode 0600). */
  readonly privateJwk: BundleJwk;
  /** The public key: publish it so others can verify your bundles. */
  readonly publicJwk: BundleJwk;
}

/**
 * Generates an Ed25519 key pair for signing bundles.
 *
 * @returns Both halves as JWKs, with their key id.
 *
 * @example Generate, sign, verify
 * ```ts
 * import { generateKeyPair } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * const keys = await generateKeyPair();
 * assert.equal(keys.publicJwk.kid, keys.keyId);
 * assert.equal(keys.publicJwk.d, undefined);
 * assert.match(keys.keyId, /^[0-9a-f]{64}$/);
 * ```
 */
export async function generateKeyPair(): Promise<BundleKeyPair> {
  const pair = await crypto.subtle.generateKey(
    { name: "Ed25519" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const priv = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const keyId = keyIdOf(priv.x!);
  return {
    keyId,
    privateJwk: {
      kty: "OKP",
      crv: "Ed25519",
      x: priv.x!,
      d: priv.d!,
      kid: keyId,
    },
    publicJwk: { kty: "OKP", crv: "Ed25519", x: priv.x!, kid: keyId },
  };
}

/** The key id of a public key: sha256 hex of its raw 32 bytes. */
export function keyIdOf(x: string): string {
  return sha256Hex(fromBase64Url(x));
}

/**
 * Reads a JWK (public or private) written by `wb keygen` or
 * {@linkcode generateKeyPair}; the key id is recomputed, not trusted.
 *
 * @throws {TypeError} If it is not an Ed25519 JWK.
 */
export function parseJwk(value: unknown): BundleJwk {
  const jwk = value as Record<string, unknown>;
  if (
    typeof jwk !== "object" || jwk === null || jwk.kty !== "OKP" ||
    jwk.crv !== "Ed25519" || typeof jwk.x !== "string"
  ) {
    throw new TypeError(
      "Cannot read the key as it is not an Ed25519 JWK: expected kty OKP, crv Ed25519 and x",
    );
  }
  const kid = keyIdOf(jwk.x);
  return {
    kty: "OKP",
    crv: "Ed25519",
    x: jwk.x,
    ...(typeof jwk.d === "string" ? { d: jwk.d } : {}),
    kid,
  };
}

/** DSSE pre-authentication encoding: `DSSEv1 SP len(type) SP type SP len(body) SP body`. */
export function pae(
  type: string,
  body: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const enc = new TextEncoder();
  const typeBytes = enc.encode(type);
  const head = enc.encode(
    `DSSEv1 ${typeBytes.length} ${type} ${body.length} `,
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** The statement a bundle signature covers, as canonical JSON bytes. */
export function statementBytes(sha256: string): Uint8Array {
  return new TextEncoder().encode(
    canonicalize({ format: BUNDLE_FORMAT, sha256, version: BUNDLE_VERSION }),
  );
}

/** A DSSE envelope. */
export type SignatureEnvelope = z.infer<typeof SignatureSchema>;

/**
 * Signs a payload sha256 with a private JWK.
 *
 * @throws {TypeError} If the key is not a private Ed25519 JWK.
 */
export async function signSha256(
  sha256: string,
  privateJwk: BundleJwk,
): Promise<SignatureEnvelope> {
  const jwk = parseJwk(privateJwk);
  if (jwk.d === undefined) {
    throw new TypeError(
      "Cannot sign with this key as it is a public key: pass the private key file written by wb keygen",
    );
  }
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d },
    { name: "Ed25519" },
    false,
    ["sign"],
  );
  const payload = statementBytes(sha256);
  const sig = new Uint8Array(
    await crypto.subtle.sign("Ed25519", key, pae(STATEMENT_TYPE, payload)),
  );
  return {
    payloadType: STATEMENT_TYPE,
    payload: toBase64(payload),
    signatures: [{ keyid: jwk.kid, sig: toBase64(sig) }],
  };
}

/** What checking a signature found. */
export interface SignatureCheck {
  /** True when a signature by the key verifies over a statement naming `sha256`. */
  readonly ok: boolean;
  /** Why not, when not. */
  readonly reason: string | null;
}

/** Checks an envelope against a public key and the computed payload sha256. */
export async function verifySignature(
  envelope: SignatureEnvelope,
  publicJwk: BundleJwk,
  sha256: string,
): Promise<SignatureCheck> {
  const jwk = parseJwk(publicJwk);
  let payload: Uint8Array;
  let statement: unknown;
  try {
    payload = fromBase64(envelope.payload);
    statement = parseJsonStrict(new TextDecoder().decode(payload));
  } catch {
    return { ok: false, reason: "the signed statement is not valid JSON" };
  }
  const parsed = StatementSchema.safeParse(statement);
  if (!parsed.success) {
    return {
      ok: false,
      reason: "the signed statement is not a bundle statement",
    };
  }
  const signature = envelope.signatures.find((s) => s.keyid === jwk.kid);
  if (!signature) {
    return {
      ok: false,
      reason: `no signature by key ${jwk.kid.slice(0, 16)}…; signed by ${
        envelope.signatures.map((s) => s.keyid.slice(0, 16) + "…").join(", ")
      }`,
    };
  }
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: "OKP", crv: "Ed25519", x: jwk.x },
    { name: "Ed25519" },
    false,
    ["verify"],
  );
  let valid = false;
  try {
    valid = await crypto.subtle.verify(
      "Ed25519",
      key,
      fromBase64(signature.sig),
      pae(envelope.payloadType, payload),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    return { ok: false, reason: "the signature does not verify with the key" };
  }
  if (parsed.data.sha256 !== sha256) {
    return {
      ok: false,
      reason:
        `the signature covers payload sha256 ${parsed.data.sha256}, not this payload (${sha256})`,
    };
  }
  return { ok: true, reason: null };
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return fromBase64(b64 + "=".repeat((4 - b64.length % 4) % 4));
}
