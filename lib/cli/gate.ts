import { parse as parseYaml } from "yaml";
import { FileSyntaxError } from "../errors.ts";
import { decideGate } from "../gate/decide_gate.ts";
import { evaluateGate } from "../gate/evaluate_gate.ts";
import type { GateEvaluation } from "../gate/gate.ts";
import { type GatePolicyInput, parseGatePolicy } from "../gate/policy.ts";
import { requestGate } from "../gate/request_gate.ts";
import { decideStepGate, findStepGate } from "../gate/step_gates.ts";
import { printStepGate } from "./gates.ts";
import { listGates } from "../store/gates.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  type Io,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  required,
  UsageError,
  wholeNumber,
} from "./command.ts";
import { about } from "./about.ts";

/** Parses `v3` or `3` into 3. */
export function parseVersionFlag(value: string, flag = "version"): number {
  const match = /^v?(\d+)$/.exec(value.trim());
  const n = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} takes a version like v3, not '${value}'`);
  }
  return n;
}

async function readPolicyFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read --policy '${path}': ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new FileSyntaxError(
      error instanceof Error ? error.message : String(error),
      { file: path },
      { cause: error },
    );
  }
}

function printEvaluation(io: Io, evaluation: GateEvaluation): void {
  const { gate, status } = evaluation;
  const pv = gate.subject.prompt_version;
  const p = gate.policy;
  io.out(`gate ${gate.id}  ${status.toUpperCase()}`);
  io.out(
    `  ${gate.alias} <- ${pv.id} (sha256 ${pv.sha256.slice(0, 12)})`,
  );
  const cmp = gate.subject.comparison;
  if (cmp) {
    io.out(
      `  comparison ${cmp.id} ${cmp.verdict} (baseline ${cmp.baseline.run_id}, candidate ${cmp.candidate.run_id})`,
    );
  }
  io.out(
    `  policy: ${
      p.accepted_verdicts.length
        ? `verdict ${p.accepted_verdicts.join(" or ")}`
        : "no verdict"
    }; ${p.approvals} approval${p.approvals === 1 ? "" : "s"}; ${
      p.rejection_blocks ? "a rejection blocks" : "rejections do not block"
    }; ${p.allow_self_approval ? "self-approval allowed" : "no self-approval"}`,
  );
  io.out(`  requested by ${gate.requested_by} at ${gate.created_at}`);
  io.out(`  subject sha256 ${gate.subject_sha256}`);
  if (gate.decisions.length) io.out("  decisions:");
  for (const d of gate.decisions) {
    io.out(`    ${d.created_at}  ${d.actor}  ${d.decision}  ${d.reason}`);
  }
  io.out("  status:");
  for (const reason of evaluation.reasons) io.out(`    - ${reason}`);
}

/** `wb gate`. */
export const gateCommand: Command = {
  ...about("gate"),
  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseCommandArgs(rest, {
      ...DB_OPTION,
      task: { type: "string" },
      version: { type: "string" },
      comparison: { type: "string" },
      alias: { type: "string" },
      policy: { type: "string" },
      approvals: { type: "string" },
      accept: { type: "string", multiple: true },
      "allow-self-approval": { type: "boolean" },
      actor: { type: "string" },
      reason: { type: "string" },
      ...JSON_OPTION,
    }, true);
    const emit = (evaluation: GateEvaluation) => {
      if (values.json) printJson(io, evaluation);
      else printEvaluation(io, evaluation);
    };
    switch (action) {
      case "request": {
        if (positionals.length) {
          throw new UsageError(`unexpected '${positionals[0]}'`);
        }
        const task = required(values.task, "task");
        const version = parseVersionFlag(required(values.version, "version"));
        const actor = required(values.actor, "actor");
        const fromFile = values.policy
          ? await readPolicyFile(values.policy)
          : {};
        if (
          typeof fromFile !== "object" || fromFile === null ||
          Array.isArray(fromFile)
        ) {
          throw new UsageError(`--policy '${values.policy}' is not a mapping`);
        }
        const approvals = wholeNumber(values.approvals, "approvals");
        const policy: GatePolicyInput = parseGatePolicy({
          ...fromFile,
          ...(approvals === undefined ? {} : { approvals }),
          ...(values.accept ? { accepted_verdicts: values.accept } : {}),
          ...(values["allow-self-approval"]
            ? { allow_self_approval: true }
            : {}),
        }, values.policy);
        await using store = await openFromFlag(values.db);
        emit(
          await requestGate(store, {
            task,
            version,
            comparison: values.comparison,
            alias: values.alias,
            policy,
            actor,
          }),
        );
        return EXIT.ok;
      }
      case "approve":
      case "reject": {
        const [gate, extra] = positionals;
        if (!gate || extra) throw new UsageError(`give one GATE to ${action}`);
        const actor = required(values.actor, "actor");
        const reason = required(values.reason, "reason");
        await using store = await openFromFlag(values.db);
        if (await findStepGate(store, gate)) {
          const decided = await decideStepGate(store, gate, {
            actor,
            reason,
            decision: action,
          });
          if (values.json) printJson(io, decided);
          else printStepGate(io, decided);
          return EXIT.ok;
        }
        emit(
          await decideGate(store, gate, { actor, reason, decision: action }),
        );
        return EXIT.ok;
      }
      case "show": {
        await using store = await openFromFlag(values.db);
        const [gate, extra] = positionals;
        if (extra) throw new UsageError(`unexpected '${extra}'`);
        if (gate) {
          emit(await evaluateGate(store, gate));
          return EXIT.ok;
        }
        const gates = await listGates(store, { task: values.task });
        const evaluations = [];
        for (const row of gates) {
          evaluations.push(await evaluateGate(store, row.id));
        }
        if (values.json) {
          printJson(io, evaluations);
          return EXIT.ok;
        }
        if (!evaluations.length) io.out("no gates");
        for (const { gate, status } of evaluations) {
          io.out(
            `${gate.id}  ${
              status.padEnd(8)
            }  ${gate.alias} <- ${gate.subject.prompt_version.id}  by ${gate.requested_by}  ${gate.created_at}`,
          );
        }
        return EXIT.ok;
      }
      default:
        throw new UsageError(
          action
            ? `unknown action '${action}': use request, approve, reject or show`
            : "give an action: request, approve, reject or show",
        );
    }
  },
};
