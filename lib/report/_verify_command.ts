/**
 * The exact command that verifies a bundle file against its published
 * sha256 and, for a signed bundle, the signer's public key file.
 */
export function verifyCommand(
  file: string,
  sha256: string,
  pubkeyFile?: string,
): string {
  return `deno task wb verify ${shellQuote(file)}${
    pubkeyFile === undefined ? "" : ` --pubkey ${shellQuote(pubkeyFile)}`
  } --expect ${sha256}`;
}

/** Quotes a word for a POSIX shell when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@=+-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'"'"'`)}'`;
}
