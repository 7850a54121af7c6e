import { generateKeyPair } from "../bundle/keys.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  JSON_OPTION,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** `wb keygen`. */
export const keygenCommand: Command = {
  ...about("keygen"),
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, {
      ...DB_OPTION,
      ...JSON_OPTION,
      output: { type: "string", short: "o" },
      force: { type: "boolean" },
    }, true);
    if (positionals.length > 0) {
      throw new UsageError(`unexpected '${positionals[0]}'`);
    }
    const path = required(values.output, "output (-o)");
    const keys = await generateKeyPair();
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    try {
      await Deno.writeTextFile(path, json(keys.privateJwk), {
        mode: 0o600,
        createNew: !values.force,
      });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new UsageError(
          `'${path}' exists; pass --force to replace it (bundles signed with the old key can then no longer be re-signed)`,
        );
      }
      throw error;
    }
    await Deno.chmod(path, 0o600);
    await Deno.writeTextFile(`${path}.pub`, json(keys.publicJwk));
    if (values.json) {
      printJson(io, {
        private_key_file: path,
        public_key_file: `${path}.pub`,
        key_id: keys.keyId,
      });
      return EXIT.ok;
    }
    io.out(`private key ${path} (mode 0600), public key ${path}.pub`);
    io.out(`key id ${keys.keyId}`);
    return EXIT.ok;
  },
};
