// deno-lint-ignore-file no-console
/**
 * The demo: from nothing to a verified, signed bundle and its HTML report,
 * on the deterministic fake provider (no key, no network).
 *
 *   deno task demo [--out DIR]
 *
 * It loads the catalog into a fresh database, runs every prompt version of
 * both tasks, prints the leaderboards, compares two candidates against the
 * v3 baseline (one whose average rose but which is rejected, one approved),
 * requests a gate, records a human decision (the demo's), promotes the
 * approved version to `production`, exports a signed bundle, verifies it and
 * writes the report.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, relative, resolve as resolvePath } from "node:path";
import {
  bundle,
  compare,
  type Comparison,
  comparisonMarkdown,
  decideGate,
  experiment,
  generateKeyPair,
  leaderboard,
  type LeaderboardEntry,
  loadCatalog,
  open,
  promote,
  renderReport,
  requestGate,
  resolve,
  verifyBundle,
} from "../mod.ts";

const TASKS = ["resume_matching", "support_triage"] as const;
const VERSIONS = ["v1", "v2", "v3", "v4", "v5"];
const MODEL = "fake-fast";
const JUDGE = "fake-judge";
const REQUESTER = "demo-ci (the demo script)";
const REVIEWER = "Dana Okafor (demo reviewer)";

const { values } = parseArgs({
  options: { out: { type: "string", default: "out/demo" } },
});
const outDir = resolvePath(values.out!);
const started = performance.now();
const show = (path: string) => relative(Deno.cwd(), path) || ".";

function heading(text: string): void {
  console.log(`\n== ${text}`);
}

function printLeaderboard(entries: readonly LeaderboardEntry[]): void {
  let group = 0;
  for (const e of entries) {
    if (e.group !== group) {
      group = e.group;
      console.log(
        `  group ${group}: ${e.group_label}${
          group > 1 ? " (ranked apart)" : ""
        }`,
      );
      console.log(
        "  rank  prompt               score [95% CI]         cells  cost/cell (USD)  p95 ms  failures",
      );
    }
    const score = e.aggregate
      ? `${e.aggregate.estimate.toFixed(3)} [${e.aggregate.low.toFixed(3)}, ${
        e.aggregate.high.toFixed(3)
      }]`
      : "n/a";
    const tied = entries.filter((x) =>
      x.group === e.group && x.tie_group === e.tie_group
    ).length > 1;
    console.log(
      `  ${`${tied ? "=" : ""}${e.rank}`.padEnd(4)}  ${
        e.prompt_version_id.padEnd(19)
      }  ${score.padEnd(21)}  ${String(e.cells).padStart(5)}  ${
        (e.cost_per_cell ?? "n/a").padEnd(15)
      }  ${String(Math.round(e.latency_p95_ms ?? 0)).padStart(6)}  ${
        (e.failure_rate * 100).toFixed(1)
      }%`,
    );
  }
}

function printVerdict(title: string, c: Comparison): void {
  console.log(`\n${title}`);
  const before = c.baseline.aggregate;
  const after = c.candidate.aggregate;
  const delta = c.aggregate.delta;
  console.log(
    `  aggregate score ${before?.toFixed(3)} -> ${after?.toFixed(3)} (${
      delta === null
        ? "n/a"
        : delta >= 0
        ? `rose ${delta.toFixed(3)}`
        : `fell ${delta.toFixed(3)}`
    })`,
  );
  console.log(`  ${c.verdict}: ${c.summary.replace(/^\w+: /, "")}`);
  for (const line of c.reasons) console.log(`    rejected: ${line}`);
  if (c.verdict === "REJECTED" && c.inconclusive.length) {
    // The verdict is reached: no need to settle the rest.
    console.log(
      `    (${c.inconclusive.length} other limit(s) left undecided: a breach already decides)`,
    );
  } else {
    for (const line of c.inconclusive) console.log(`    not settled: ${line}`);
  }
  for (const line of c.improvements.slice(0, 4)) {
    console.log(`    improved: ${line}`);
  }
  for (const line of c.small_sample_warnings ?? []) {
    console.log(`    small sample: ${line}`);
  }
  const s = c.settle;
  if (s && s.calls > 0) {
    console.log(
      `    settled in ${s.looks.length} looks: ${s.calls} more calls (${s.cost} USD)`,
    );
  }
}

await Deno.remove(outDir, { recursive: true }).catch(() => {});
await Deno.mkdir(outDir, { recursive: true });
const dbPath = join(outDir, "workbench.db");
await using store = await open(`file:${dbPath}`);

heading("1. Catalog");
const loaded = await loadCatalog(store, { root: "." });
for (const task of loaded.tasks) {
  console.log(
    `  ${task.task}: prompt versions ${
      task.new_prompt_versions.map((v) => `v${v.version}`).join(", ") ||
      "(none new)"
    }; dataset ${task.dataset_id.slice(0, 12)} (${task.case_count} cases)`,
  );
}

heading(
  `2. Experiments: ${
    VERSIONS.join(", ")
  } x ${MODEL}, judged by ${JUDGE}, 3 repetitions`,
);
const runs = new Map<string, Map<string, string>>();
for (const task of TASKS) {
  const result = await experiment(store, {
    task,
    prompts: VERSIONS,
    models: [MODEL],
    judge: JUDGE,
  });
  const byVersion = new Map<string, string>();
  for (const run of result.runs) {
    byVersion.set(run.prompt_version_id.split("@")[1]!, run.run_id);
    console.log(
      `  ${run.run_id}  ${
        run.prompt_version_id.padEnd(19)
      } ${run.cells} cells, ${run.failures} failures, ${run.adapter_calls} calls, cost ${run.cost} USD`,
    );
  }
  runs.set(task, byVersion);
}

heading(
  "3. Leaderboards (comparable runs only; a technical tie, overlapping intervals, goes to the cheaper per cell)",
);
for (const task of TASKS) {
  console.log(`  ${task}`);
  printLeaderboard(await leaderboard(store, task));
}

heading(
  "4. Verdicts against the v3 baseline (mode: confident; undecided limits settled by more repetitions)",
);
const approved = new Map<string, Comparison>();
let rejectedMarkdown = "";
for (const task of TASKS) {
  const ids = runs.get(task)!;
  const rejected = await compare(store, {
    baseline: ids.get("v3")!,
    candidate: ids.get("v4")!,
    settle: true,
  });
  printVerdict(`${task}: v4 (chain of thought) against v3`, rejected);
  rejectedMarkdown += `${comparisonMarkdown(rejected)}\n`;
  const candidate = await compare(store, {
    baseline: ids.get("v3")!,
    candidate: ids.get("v5")!,
    settle: true,
  });
  printVerdict(`${task}: v5 (guardrails) against v3`, candidate);
  approved.set(task, candidate);
}
await Deno.writeTextFile(
  join(outDir, "rejected-verdicts.md"),
  rejectedMarkdown,
);

heading("5. Gate and promotion to production");
const gates: string[] = [];
for (const task of TASKS) {
  const comparison = approved.get(task)!;
  if (comparison.verdict !== "APPROVED") {
    console.log(
      `  ${task}: v5 was not approved (${comparison.verdict}); no gate requested`,
    );
    continue;
  }
  const requested = await requestGate(store, {
    task,
    version: 5,
    comparison: comparison.id,
    alias: "production",
    actor: REQUESTER,
  });
  const gateId = requested.gate.id;
  console.log(
    `  ${task}: gate ${gateId} requested by ${REQUESTER}: ${requested.status}`,
  );
  for (const reason of requested.reasons) console.log(`    ${reason}`);
  const decided = await decideGate(store, gateId, {
    actor: REVIEWER,
    decision: "approve",
    reason:
      "Demo decision: read the verdict and the adversarial samples; approved.",
  });
  console.log(`  ${task}: ${REVIEWER} approved: gate ${decided.status}`);
  await promote(store, {
    task,
    alias: "production",
    version: 5,
    gate: gateId,
    actor: REQUESTER,
  });
  const production = await resolve(store, task, "production");
  console.log(
    `  ${task}: production -> ${production.prompt_version_id} (sha256 ${
      production.sha256.slice(0, 12)
    }) through gate ${production.gate_id}`,
  );
  gates.push(gateId);
}

heading("6. Signed bundle, verification, report");
const keys = await generateKeyPair();
const publicKeyPath = join(outDir, "demo-signing-key.pub.json");
await Deno.writeTextFile(
  publicKeyPath,
  JSON.stringify(keys.publicJwk, null, 2),
);
const bundlePath = join(outDir, "bundle.json");
const first = approved.get(TASKS[0])!;
const written = await bundle(store, {
  comparison: first.id,
  sign: keys.privateJwk,
  to: bundlePath,
});
console.log(
  `  ${show(bundlePath)}: ${
    (written.bytes / 1024).toFixed(0)
  } KiB, payload sha256 ${written.sha256}, signed by key ${written.keyId}`,
);
const bytes = await Deno.readFile(bundlePath);
const verified = await verifyBundle(bytes, {
  pubkey: keys.publicJwk,
  expect: written.sha256,
});
console.log(
  `  verify: ${
    verified.ok ? "intact" : "FAILED"
  }; signature ${verified.signature}${
    verified.problems.length ? `; ${verified.problems.length} problems` : ""
  }`,
);
const report = await renderReport(bytes, {
  file: bundlePath,
  expect: written.sha256,
});
const reportPath = join(outDir, "report.html");
await Deno.writeTextFile(reportPath, report.html);

heading("Where everything is");
console.log(`  database          ${show(dbPath)}`);
console.log(`  bundle            ${show(bundlePath)}`);
console.log(`  public key        ${show(publicKeyPath)}`);
console.log(`  report            ${show(reportPath)}`);
console.log(
  `  rejected verdicts ${show(join(outDir, "rejected-verdicts.md"))}`,
);
console.log(
  `  verify it yourself: deno task wb verify ${show(bundlePath)} --pubkey ${
    show(publicKeyPath)
  } --expect ${written.sha256}`,
);
console.log(
  `  explore: deno task wb show ${first.candidate.run_id} --db file:${
    show(dbPath)
  } --samples 3`,
);
console.log(`\ndone in ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (!verified.ok) Deno.exit(1);
