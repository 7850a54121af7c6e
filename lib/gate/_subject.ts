import { contentHash } from "../content/sha256.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Verdict } from "../compare/verdict.ts";
import { getComparison } from "../store/comparisons.ts";
import {
  findPromptVersion,
  findPromptVersionById,
  runResultsDigest,
} from "../store/gates.ts";
import type { Store } from "../store/open.ts";
import { getRun } from "../store/runs.ts";
import type { GateComparisonSubject, GateSubject } from "./gate.ts";

/** The gate workflow: the steps a gate's trace follows. */
export function gateWorkflow(
  gateId: string,
  subject: GateSubject,
): {
  schema_version: 1;
  name: string;
  steps: {
    id: string;
    description: string;
    after?: string[];
    uses?: Record<string, string>;
  }[];
  meta: Record<string, unknown>;
} {
  return {
    schema_version: 1,
    name: "gate",
    steps: [
      {
        id: "request",
        description: "someone asks to move an alias to a prompt version",
        uses: {
          prompt_version: subject.prompt_version.id,
          ...(subject.comparison ? { comparison: subject.comparison.id } : {}),
        },
      },
      {
        id: "policy",
        description: "the comparison's verdict is checked against the policy",
        after: ["request"],
      },
      {
        id: "human",
        description: "named people approve or reject",
        after: ["policy"],
      },
      {
        id: "promote",
        description: "the alias moves to the approved prompt version",
        after: ["human"],
      },
    ],
    meta: { gate_id: gateId, task: subject.task, alias: subject.alias },
  };
}

/** Builds a gate's subject from the records as they are now (request time). */
export async function buildSubject(
  store: Store,
  input: {
    task: string;
    alias: string;
    version: number;
    comparison?: string | undefined;
  },
): Promise<GateSubject> {
  const pv = await findPromptVersion(store, input.task, input.version);
  if (!pv) {
    throw new NotFoundError(
      "prompt version",
      `${input.task}@v${input.version}`,
      "load the catalog with `wb load`",
    );
  }
  let comparison: GateComparisonSubject | null = null;
  if (input.comparison !== undefined) {
    const row = await getComparison(store, input.comparison);
    if (row.task !== input.task) {
      throw new ConflictError(
        `Cannot gate '${pv.id}' on comparison '${row.id}': the comparison is of task '${row.task}', not '${input.task}'`,
      );
    }
    const candidate = await getRun(store, row.candidate_run_id);
    if (candidate.prompt_version_id !== pv.id) {
      throw new ConflictError(
        `Cannot gate '${pv.id}' on comparison '${row.id}': its candidate run '${candidate.id}' ran prompt version '${candidate.prompt_version_id}'; compare a run of '${pv.id}'`,
      );
    }
    const sha256 = contentHash(row.body);
    if (sha256 !== row.sha256) {
      throw new ConflictError(
        `Cannot gate on comparison '${row.id}': its stored body does not match its sha256`,
      );
    }
    comparison = {
      id: row.id,
      sha256,
      verdict: row.verdict as Verdict,
      baseline: {
        run_id: row.baseline_run_id,
        results_sha256: await runResultsDigest(store, row.baseline_run_id),
      },
      candidate: {
        run_id: row.candidate_run_id,
        results_sha256: await runResultsDigest(store, row.candidate_run_id),
      },
    };
  }
  return {
    schema_version: 1,
    task: input.task,
    alias: input.alias,
    prompt_version: { id: pv.id, version: pv.version, sha256: pv.sha256 },
    comparison,
  };
}

/**
 * Rebuilds a recorded subject from the current records and says what
 * changed. Missing records hash as `missing`.
 */
export async function currentSubject(
  store: Store,
  recorded: GateSubject,
): Promise<{ subject: GateSubject; changes: string[] }> {
  const changes: string[] = [];
  const pv = await findPromptVersionById(store, recorded.prompt_version.id);
  const pvSha = pv?.sha256 ?? "missing";
  if (pvSha !== recorded.prompt_version.sha256) {
    changes.push(
      `prompt version '${recorded.prompt_version.id}' is now ${
        short(pvSha)
      }, was ${short(recorded.prompt_version.sha256)}`,
    );
  }
  let comparison: GateComparisonSubject | null = null;
  if (recorded.comparison) {
    const was = recorded.comparison;
    let sha256 = "missing";
    let verdict = was.verdict;
    try {
      const row = await getComparison(store, was.id);
      sha256 = row.sha256 === contentHash(row.body) ? row.sha256 : "corrupt";
      verdict = row.verdict as Verdict;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    if (sha256 !== was.sha256 || verdict !== was.verdict) {
      changes.push(
        `comparison '${was.id}' is now ${short(sha256)} (${verdict}), was ${
          short(was.sha256)
        } (${was.verdict})`,
      );
    }
    const baseline = await runResultsDigest(store, was.baseline.run_id);
    const candidate = await runResultsDigest(store, was.candidate.run_id);
    if (baseline !== was.baseline.results_sha256) {
      changes.push(
        `the results of baseline run '${was.baseline.run_id}' changed since they were judged`,
      );
    }
    if (candidate !== was.candidate.results_sha256) {
      changes.push(
        `the results of candidate run '${was.candidate.run_id}' changed since they were judged`,
      );
    }
    comparison = {
      ...was,
      sha256,
      verdict,
      baseline: { run_id: was.baseline.run_id, results_sha256: baseline },
      candidate: { run_id: was.candidate.run_id, results_sha256: candidate },
    };
  }
  return {
    subject: {
      ...recorded,
      prompt_version: { ...recorded.prompt_version, sha256: pvSha },
      comparison,
    },
    changes,
  };
}

function short(sha: string): string {
  return /^[0-9a-f]{64}$/.test(sha) ? `sha256 ${sha.slice(0, 12)}` : sha;
}
