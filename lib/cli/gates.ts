import { listStepGates } from "../gate/step_gates.ts";
import type { StepGateState } from "../trace/step_gate.ts";
import {
  type Command,
  DB_OPTION,
  EXIT,
  type Io,
  JSON_OPTION,
  openFromFlag,
  parseCommandArgs,
  printJson,
  UsageError,
} from "./command.ts";
import { about } from "./about.ts";

/** Prints a gate step: its subject, policy, step context and decisions. */
export function printStepGate(io: Io, gate: StepGateState): void {
  io.out(`gate ${gate.gate_id}  ${gate.status.toUpperCase()}`);
  io.out(
    `  trace ${gate.trace_id}, step ${gate.step} judges the output of ${gate.subject_step}`,
  );
  io.out(`  subject sha256 ${gate.subject_sha256}`);
  io.out(`  subject ${JSON.stringify(gate.subject)}`);
  const p = gate.policy;
  io.out(
    `  policy: ${p.approvals} approval${p.approvals === 1 ? "" : "s"}${
      p.not_approvers.length ? `, not by ${p.not_approvers.join(", ")}` : ""
    }${p.check ? `; check ${p.check}` : ""}`,
  );
  io.out(`  requested by ${gate.requested_by} at ${gate.requested_at}`);
  const context = Object.entries(gate.context).filter(([k]) =>
    k !== "after" && k !== "uses"
  );
  if (context.length) {
    io.out(
      `  context: ${
        context.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")
      }`,
    );
  }
  for (const d of gate.decisions) {
    io.out(`    ${d.at}  ${d.kind} ${d.actor}  ${d.decision}  ${d.reason}`);
  }
  for (const reason of gate.reasons) io.out(`    - ${reason}`);
}

/** `wb gates`. */
export const gatesCommand: Command = {
  ...about("gates"),
  async run(args, io) {
    const [action, ...rest] = args;
    const { values, positionals } = parseCommandArgs(rest, {
      ...DB_OPTION,
      ...JSON_OPTION,
    }, true);
    if (positionals.length) {
      throw new UsageError(`unexpected '${positionals[0]}'`);
    }
    if (action !== "pending" && action !== "list") {
      throw new UsageError(
        action
          ? `unknown action '${action}': use pending or list`
          : "give an action: pending or list",
      );
    }
    await using store = await openFromFlag(values.db);
    const gates = await listStepGates(
      store,
      action === "pending" ? { status: "pending" } : {},
    );
    if (values.json) {
      printJson(io, gates);
      return EXIT.ok;
    }
    if (!gates.length) {
      io.out(action === "pending" ? "no gate is waiting" : "no gate steps");
    }
    for (const gate of gates) printStepGate(io, gate);
    return EXIT.ok;
  },
};
