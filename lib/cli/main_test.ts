import assert from "node:assert/strict";
import { EXIT } from "./command.ts";
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

/** The modules `module` evaluates before it runs anything: its static import graph (npm packages as `npm:NAME@VERSION`). */
async function staticGraph(module = "./main.ts"): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(module, import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(output.success, "deno info failed");
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    redirects: Record<string, string>;
    modules: {
      specifier: string;
      dependencies?: {
        code?: { specifier: string };
        isDynamic?: boolean;
      }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      // Type-only imports have no `code`; dynamic ones load when they run.
      if (dep.code && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  return [...seen].map((s) => info.redirects[s] ?? s);
}

Deno.test("wb help loads no command module, no npm package and no store: every command is imported only when it runs", async () => {
  const loaded = await staticGraph();
  const cli = new URL("./", import.meta.url).href;
  const names = loaded.map((s) => s.startsWith(cli) ? s.slice(cli.length) : s)
    .sort();
  // main, the table, the help texts, the shared command helpers and the errors: nothing else.
  assert.deepEqual(
    names,
    [
      "about.ts",
      "command.ts",
      "commands.ts",
      "file://" + new URL("../errors.ts", import.meta.url).pathname,
      "main.ts",
      "node:util",
    ].sort(),
  );
});

Deno.test("every command in the table loads, and is the command its entry describes", async () => {
  for (const entry of COMMANDS) {
    const command = await entry.load();
    assert.equal(command.name, entry.name);
    assert.equal(command.summary, entry.summary);
    assert.equal(command.usage, entry.usage);
  }
});

Deno.test("wb help prints every command and one table of exit codes", async () => {
  const { out, io } = capture();
  assert.equal(await main(["help"], io), EXIT.ok);
  const text = out.join("\n");
  for (const entry of COMMANDS) {
    assert.match(
      text,
      new RegExp(`^  ${entry.name} +${RegExp.escape(entry.summary)}$`, "m"),
    );
  }
  const table = text.slice(text.indexOf("Exit codes:"));
  for (const code of Object.values(EXIT)) {
    assert.match(
      table,
      new RegExp(`^  ${code}  \\S`, "m"),
      `exit code ${code}`,
    );
  }
  assert.equal(text.split("Exit codes:").length, 2);
});

Deno.test("no command loads a provider SDK, Plot or linkedom before it needs them; mod.ts loads no SDK", async () => {
  const heavy =
    /^npm:\/?(openai|@anthropic-ai\/sdk|@observablehq\/plot|linkedom)@/;
  // The SDKs load on an adapter's first call; Plot and linkedom with the
  // report's charts, which only `wb report` draws.
  const charts = new Set(["report"]);
  for (const entry of COMMANDS) {
    const file = entry.name.replace("-", "_");
    const loaded = (await staticGraph(`./${file}.ts`))
      .filter((s) => heavy.test(s))
      .filter((s) => !(charts.has(entry.name) && /plot|linkedom/.test(s)));
    assert.deepEqual(loaded, [], entry.name);
  }
  const mod = await staticGraph("../../mod.ts");
  assert.deepEqual(
    mod.filter((s) => /^npm:\/?(openai|@anthropic-ai\/sdk)@/.test(s)),
    [],
  );
  assert.ok(
    mod.some((s) => /^npm:\/?@observablehq\/plot@/.test(s)),
    "the graph lists npm packages",
  );
});
