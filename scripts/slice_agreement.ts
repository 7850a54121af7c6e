// deno-lint-ignore-file no-console
/**
 * How well does the slice suggestion agree with the true slices?
 * `deno task slice-agreement` leaves each case of each shipped dataset out
 * in turn, suggests its slice from the others (character n-grams, the
 * nearest cases' weighted vote, as `wb score-traces` does for production
 * inputs), and prints the agreement beside what always answering the most
 * common slice would score, with the confusion counts.
 *
 *   deno task slice-agreement [--root DIR] [--k 5] [--n 5] [--json FILE]
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  getLatestDataset,
  leaveOneOutAgreement,
  loadCatalog,
  open,
} from "../mod.ts";

const { values } = parseArgs({
  options: {
    root: { type: "string", default: "." },
    k: { type: "string", default: "5" },
    n: { type: "string", default: "5" },
    json: { type: "string" },
  },
});
const k = Number(values.k);
const n = Number(values.n);
await using store = await open(":memory:");
const report = await loadCatalog(store, { root: values.root });
const rows = [];
for (const { task } of report.tasks) {
  const dataset = await getLatestDataset(store, task);
  const r = leaveOneOutAgreement(dataset.cases, { k, n });
  rows.push({ task, ...r });
  console.log(
    `${task}: ${r.agreed} of ${r.cases} cases (${
      (r.share * 100).toFixed(1)
    }%) get their own slice back, leave-one-out (k=${k}, ${n}-grams); always answering the most common slice: ${
      (r.majority * 100).toFixed(1)
    }%`,
  );
  for (const [truth, row] of Object.entries(r.confusion)) {
    console.log(
      `  ${truth.padEnd(14)} -> ${
        Object.entries(row).map(([s, c]) => `${s} ${c}`).join(", ")
      }`,
    );
  }
}
if (values.json) {
  await Deno.writeTextFile(values.json, JSON.stringify(rows, null, 2) + "\n");
}
