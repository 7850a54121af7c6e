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
  decideStepGate,
  experiment,
  GateHaltError,
  generateKeyPair,
  leaderboard,
  type LeaderboardEntry,
  listStepGates,
  listTraceEvents,
  loadCatalog,
  open,
  promote,
  renderReport,
  requestGate,
  resolve,
  runPipeline,
  scoreRun,
  verifyBundle,
} from "../mod.ts";
import {
  supportPipelineV1,
  supportPipelineV2,
} from "../demo/support_pipeline.ts";

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

heading(
  "7. A pipeline: classify, then draft; a gate holds replies that mention a refund",
);
const pipelines = [supportPipelineV1, supportPipelineV2];
const piped = await experiment(store, {
  task: "support_triage",
  pipeline: pipelines,
  judge: JUDGE,
});
for (const run of piped.runs) {
  const { scorecard } = await scoreRun(store, run.run_id);
  console.log(
    `  ${run.run_id}  ${run.prompt_version_id}: ${run.cells} cells, ${run.failures} failures, score ${
      scorecard.aggregate?.estimate.toFixed(3) ?? "n/a"
    }, cost ${run.cost} USD (cache hits cost nothing)`,
  );
  console.log(
    "    step      cells  calls  failed  owns failing cells  uncached USD  p95 ms  gate (approved/held/rejected)",
  );
  for (const [step, f] of Object.entries(scorecard.steps ?? {})) {
    console.log(
      `    ${step.padEnd(8)}  ${String(f.cells).padStart(5)}  ${
        String(f.calls).padStart(5)
      }  ${String(f.failures).padStart(6)}  ${String(f.owned).padStart(18)}  ${
        f.uncached_cost.padEnd(11)
      }  ${String(Math.round(f.latency_ms?.p95 ?? 0)).padStart(6)}  ${
        f.gate ? `${f.gate.approved}/${f.gate.pending}/${f.gate.rejected}` : ""
      }`,
    );
  }
}
const pipelineVerdict = await compare(store, {
  baseline: piped.runs[0]!.run_id,
  candidate: piped.runs[1]!.run_id,
  settle: { runner: { pipeline: pipelines } },
});
printVerdict(
  "support pipeline v2 (few-shot classifier) against v1",
  pipelineVerdict,
);
for (const check of pipelineVerdict.checks) {
  if (check.kind === "cost") console.log(`    ${check.text}`);
}
// Live: two tickets through version 2, each reply held at the review gate
// until the demo's reviewer decides (from here; `wb gate approve` works
// from any process), then the halted pipelines resume.
const cases = new Map(
  (await Deno.readTextFile("datasets/support_triage.jsonl")).trim().split(
    "\n",
  ).map((line) => JSON.parse(line)).map((c) => [c.id as string, c]),
);
const traces: string[] = [];
for (
  const [caseId, decision] of [["st-028", "reject"], [
    "st-005",
    "approve",
  ]] as const
) {
  const ticket = cases.get(caseId)!;
  const live = {
    task: "support_triage",
    inputId: caseId,
    expected: ticket.expected,
    waitMs: 0,
  };
  let traceId: string;
  try {
    traceId = (await runPipeline(store, supportPipelineV2, ticket.input, live))
      .trace_id;
    console.log(`  ${caseId}: no refund mentioned, sent without a person`);
  } catch (error) {
    if (!(error instanceof GateHaltError)) throw error;
    const [held] = (await listStepGates(store, { status: "pending" }))
      .filter((g) => g.gate_id === error.gateId);
    traceId = held!.trace_id;
    console.log(
      `  ${caseId}: halted at gate step '${held!.step}' (${held!.gate_id}): ${
        held!.reasons.join("; ")
      }`,
    );
    await decideStepGate(store, held!.gate_id, {
      actor: REVIEWER,
      decision,
      reason: decision === "reject"
        ? "Demo decision: the reply promises a refund the agent cannot authorise."
        : "Demo decision: the reply routes the refund to billing; fine to send.",
    });
    await runPipeline(store, supportPipelineV2, ticket.input, {
      ...live,
      traceId,
    });
    const events = await listTraceEvents(store, traceId);
    const calls = events.filter((e) => e.type === "model_call").length;
    const sent = events.some((e) =>
      e.step === "send" && e.type === "step_finished"
    );
    console.log(
      `  ${caseId}: ${REVIEWER} ${
        decision === "approve" ? "approved" : "rejected"
      } it; the pipeline resumed with ${calls} model calls on its trace (classify, draft: none repeated); ${
        sent ? "sent" : "not sent"
      }`,
    );
  }
  traces.push(traceId);
}
const pipelineBundlePath = join(outDir, "pipeline-bundle.json");
const pipelineBundle = await bundle(store, {
  trace: traces[0]!,
  sign: keys.privateJwk,
  to: pipelineBundlePath,
});
const pipelineBytes = await Deno.readFile(pipelineBundlePath);
const pipelineVerified = await verifyBundle(pipelineBytes, {
  pubkey: keys.publicJwk,
  expect: pipelineBundle.sha256,
});
const pipelineReportPath = join(outDir, "pipeline-report.html");
await Deno.writeTextFile(
  pipelineReportPath,
  (await renderReport(pipelineBytes, {
    file: pipelineBundlePath,
    expect: pipelineBundle.sha256,
  })).html,
);
console.log(
  `  ${
    show(pipelineBundlePath)
  }: the held ticket's trace, gate request and decision on step 'review'; verify: ${
    pipelineVerified.ok ? "intact" : "FAILED"
  }`,
);

heading("Where everything is");
console.log(`  database          ${show(dbPath)}`);
console.log(`  bundle            ${show(bundlePath)}`);
console.log(`  public key        ${show(publicKeyPath)}`);
console.log(`  report            ${show(reportPath)}`);
console.log(`  pipeline bundle   ${show(pipelineBundlePath)}`);
console.log(`  pipeline report   ${show(pipelineReportPath)}`);
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
