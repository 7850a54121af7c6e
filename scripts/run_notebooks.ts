// deno-lint-ignore-file no-console
/**
 * Executes every notebook in notebooks/ headless, top to bottom, on the Deno
 * Jupyter kernel (`jupyter nbconvert --to notebook --execute`), writing the
 * executed copies to a temporary folder (the committed notebooks stay
 * without outputs). Fails when any cell of any notebook errors, and when any
 * executed cell lacks an output it must have: each code cell declares them
 * in its metadata, `"wb": { "expect": [...] }`, as MIME types (a plot cell
 * `["image/svg+xml", "text/html"]`, a view cell `["text/html"]`) or as
 * `{ "mime": "text/plain", "match": "REGEX" }`; a code cell that declares
 * nothing fails too, so no cell goes unchecked.
 *
 * `--repeat N` executes the notebooks N times in a row and counts the
 * outputs lost over all of them (the Deno kernel has been seen to drop a
 * cell's last-expression value; the notebooks display explicitly instead).
 *
 * Where Jupyter or the Deno kernel is missing it says so plainly, with the
 * command that installs them, and exits 0 (1 when WB_REQUIRE_TOOLS=1).
 *
 * Usage: deno run --allow-read --allow-write --allow-run --allow-env scripts/run_notebooks.ts [--repeat N] [--keep DIR] [NOTEBOOK...]
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

/** One expected output of a cell, as its metadata declares it. */
type Expected = string | { mime: string; match: string };

interface Cell {
  cell_type: string;
  metadata?: { wb?: { expect?: Expected[] } };
  outputs?: {
    output_type: string;
    data?: Record<string, unknown>;
    ename?: string;
    evalue?: string;
  }[];
}

/** What one executed notebook came to. */
interface Checked {
  /** Expected outputs over all code cells. */
  expected: number;
  /** Expected outputs missing, one line each (`cell N: no image/svg+xml`). */
  lost: string[];
  /** Cells that declare no expectation, or errored. */
  problems: string[];
}

function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

/** Checks every code cell of an executed notebook against what it declares. */
function check(executed: { cells: Cell[] }): Checked {
  const result: Checked = { expected: 0, lost: [], problems: [] };
  executed.cells.forEach((cell, index) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    for (const o of outputs) {
      if (o.output_type === "error") {
        result.problems.push(`cell ${index}: ${o.ename}: ${o.evalue}`);
      }
    }
    const expect = cell.metadata?.wb?.expect;
    if (!Array.isArray(expect)) {
      result.problems.push(
        `cell ${index}: declares no expected outputs (add "wb": { "expect": [...] } to its metadata)`,
      );
      return;
    }
    const shown = outputs.filter((o) =>
      o.output_type === "display_data" || o.output_type === "execute_result"
    );
    for (const want of expect) {
      result.expected++;
      const mime = typeof want === "string" ? want : want.mime;
      const pattern = typeof want === "string"
        ? undefined
        : new RegExp(want.match);
      const found = shown.some((o) =>
        o.data !== undefined && mime in o.data &&
        (pattern === undefined || pattern.test(text(o.data[mime])))
      );
      if (!found) {
        result.lost.push(
          `cell ${index}: no ${mime}${
            pattern ? ` matching /${pattern.source}/` : ""
          }`,
        );
      }
    }
  });
  return result;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    options: {
      timeout: { type: "string", default: "900" },
      repeat: { type: "string", default: "1" },
      keep: { type: "string" },
    },
    allowPositionals: true,
  });
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) {
    console.error(
      `Cannot run the notebooks as --repeat must be a positive integer: "${values.repeat}"`,
    );
    return 2;
  }
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
  const outDir = values.keep ??
    await Deno.makeTempDir({ prefix: "wb_notebooks_" });
  const failed: string[] = [];
  let expected = 0;
  let lost = 0;
  try {
    for (let round = 1; round <= repeat; round++) {
      const prefix = repeat > 1 ? `[${round}/${repeat}] ` : "";
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
        const name = basename(file);
        if (!result || result.code !== 0) {
          failed.push(`${prefix}${name}`);
          console.log(`${prefix}notebook ${name} ... FAILED (${seconds}s)`);
          console.error(
            result?.stderr.trim().split("\n").slice(-60).join("\n"),
          );
          continue;
        }
        const executed = JSON.parse(
          await Deno.readTextFile(join(outDir, name)),
        ) as { cells: Cell[] };
        const checked = check(executed);
        expected += checked.expected;
        lost += checked.lost.length;
        if (checked.lost.length > 0 || checked.problems.length > 0) {
          failed.push(`${prefix}${name}`);
          console.log(
            `${prefix}notebook ${name} ... FAILED (${seconds}s): ${checked.lost.length} of ${checked.expected} expected outputs missing`,
          );
          for (const l of [...checked.problems, ...checked.lost]) {
            console.log(`  ${l}`);
          }
        } else {
          console.log(
            `${prefix}notebook ${name} ... ok (${seconds}s, ${checked.expected} expected outputs present)`,
          );
        }
      }
    }
  } finally {
    if (values.keep === undefined) {
      await Deno.remove(outDir, { recursive: true }).catch(() => {});
    }
  }
  const runs = repeat * files.length;
  console.log(
    `notebook outputs: ${lost} lost of ${expected} expected, over ${runs} notebook run${
      runs === 1 ? "" : "s"
    } (${files.length} notebook${files.length === 1 ? "" : "s"} x ${repeat})`,
  );
  if (failed.length > 0) {
    console.log(`notebook run failed: ${failed.join(", ")}`);
    return 1;
  }
  console.log(`notebook run ok: all ${runs} ran with every expected output`);
  return 0;
}

Deno.exit(await main());
