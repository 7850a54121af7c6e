/**
 * File helpers the bundle commands share: reading key files and opening a
 * bundle file as a byte stream.
 *
 * @module
 */
import { type BundleJwk, parseJwk } from "../bundle/keys.ts";
import { UsageError } from "./command.ts";

/** Reads a JWK written by `wb keygen` (the private file or the `.pub` file). */
export async function readKeyFile(path: string): Promise<BundleJwk> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read key file '${path}': ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  try {
    return parseJwk(JSON.parse(text));
  } catch (error) {
    throw new UsageError(
      `key file '${path}' is not an Ed25519 JWK written by wb keygen: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}

/** Opens a bundle file for streaming; the caller closes it. */
export async function openBundleFile(path: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    throw new UsageError(
      `cannot open bundle '${path}': ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
}
