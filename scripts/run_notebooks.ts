// deno-lint-ignore-file no-console
/**
 * Executes every notebook in notebooks/ headless, top to bottom, on the Deno
 * Jupyter kernel (`jupyter nbconvert --to notebook --execute`), writing the
 * executed copies to a temporary folder (the committed notebooks stay
 * without outputs). Fails when any cell of any notebook errors.
 *
 * Where Jupyter or the Deno kernel is missing it says so plainly, with the
 * command that installs them, and exits 0.
 *
 * Usage: deno run --allow-read --allow-write --allow-run --allow-env scripts/run_notebooks.ts [NOTEBOOK...]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";

const INSTALL =
  "apt-get install -y --no-install-recommends jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel && deno jupyter --install";
const NOTEBOOKS = resolve(import.meta.dirname ?? ".", "..", "notebooks");

async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string } | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(cwd ? { cwd } : {}),
    }).output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Why notebooks cannot run here, or undefined when they can. */
async function missing(): Promise<string | undefined> {
  const nbconvert = await run("jupyter", ["nbconvert", "--version"]);
  if (!nbconvert) return "jupyter not found";
  if (nbconvert.code !== 0) return "jupyter nbconvert not found";
  const specs = await run("jupyter", ["kernelspec", "list", "--json"]);
  if (!specs || specs.code !== 0) return "jupyter kernelspec list failed";
  try {
    const parsed = JSON.parse(specs.stdout) as {
      kernelspecs?: Record<string, unknown>;
    };
    if (!parsed.kernelspecs?.deno) {
      return "the Deno Jupyter kernel is not installed";
    }
  } catch {
    return "jupyter kernelspec list gave no JSON";
  }
  return undefined;
}

async function notebooks(names: string[]): Promise<string[]> {
  if (names.length > 0) return names.map((n) => resolve(n));
  const found: string[] = [];
  for await (const entry of Deno.readDir(NOTEBOOKS)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) {
      found.push(join(NOTEBOOKS, entry.name));
    }
  }
  return found.sort();
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    options: { timeout: { type: "string", default: "900" } },
    allowPositionals: true,
  });
  const why = await missing();
  if (why) {
    // CI sets WB_REQUIRE_TOOLS=1 (.ci/run): there a missing Jupyter fails.
    if (Deno.env.get("WB_REQUIRE_TOOLS") === "1") {
      console.error(
        `notebook tests cannot run: ${why}; install with: ${INSTALL}`,
      );
      return 1;
    }
    console.log(`notebook tests skipped: ${why}; install with: ${INSTALL}`);
    return 0;
  }
  const files = await notebooks(positionals);
  if (files.length === 0) {
    console.error(`no notebooks found in ${NOTEBOOKS}`);
    return 1;
  }
  const outDir = await Deno.makeTempDir({ prefix: "wb_notebooks_" });
  const failed: string[] = [];
  try {
    for (const file of files) {
      const started = performance.now();
      const result = await run("jupyter", [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        `--ExecutePreprocessor.timeout=${values.timeout}`,
        "--ExecutePreprocessor.kernel_name=deno",
        "--output-dir",
        outDir,
        file,
      ]);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (result && result.code === 0) {
        console.log(`notebook ${basename(file)} ... ok (${seconds}s)`);
      } else {
        failed.push(basename(file));
        console.log(`notebook ${basename(file)} ... FAILED (${seconds}s)`);
        console.error(result?.stderr.trim().split("\n").slice(-60).join("\n"));
      }
    }
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
  }
  if (failed.length > 0) {
    console.log(
      `notebook run failed: ${failed.join(", ")} (${
        files.length - failed.length
      } of ${files.length} ran clean)`,
    );
    return 1;
  }
  console.log(`notebook run ok: all ${files.length} ran without error`);
  return 0;
}

Deno.exit(await main());
