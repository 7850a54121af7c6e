import assert from "node:assert/strict";
import { COMMANDS } from "./commands.ts";
import { main } from "./main.ts";
import { capture } from "./_test_io.ts";

Deno.test("wb <command> --help prints the command's usage and exits 0, for every command", async () => {
  for (const command of COMMANDS) {
    for (const flag of ["--help", "-h"]) {
      const { out, err, io } = capture();
      assert.equal(await main([command.name, flag], io), 0, command.name);
      assert.deepEqual(err, []);
      assert.equal(out.join("\n"), command.usage);
    }
  }
});

Deno.test("wb turns a path or database it cannot use into a one-line error and exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string[], RegExp][] = [
      [["keygen", "-o", `${dir}/no/such/dir/key`], /No such file or directory/],
      [["verify", dir], /Is a directory/],
      [
        ["show", "run_x", "--db", `file:${dir}/no/such/dir/wb.db`],
        /Cannot open the database "file:.*wb\.db": the file cannot be opened or created; check that the directory exists/,
      ],
      [["show", "run_x", "--db", "libsql://"], /Cannot open the database/],
    ];
    for (const [argv, message] of cases) {
      const { err, io } = capture();
      assert.equal(await main(argv, io), 2, argv.join(" "));
      assert.equal(err.length, 1, argv.join(" "));
      assert.match(err[0]!, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
