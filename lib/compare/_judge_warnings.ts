import type { JudgeCalibration } from "../schema/scorecard.ts";
import { WEAK_RHO } from "../scoring/judge_calibration.ts";
import type { DeltaCheck } from "./verdict.ts";

/**
 * One warning per dimension check that fails or is inconclusive while the
 * judge's Spearman's rho with people on that dimension is below
 * {@linkcode WEAK_RHO}: the verdict there rests on a judge that does not
 * rank outputs the way people do.
 *
 * @param checks The verdict's checks.
 * @param calibration The judge's calibration; no warning without it.
 * @returns The warnings, in check order.
 */
export function judgeWarnings(
  checks: readonly DeltaCheck[],
  calibration: JudgeCalibration | null | undefined,
): string[] {
  if (!calibration) return [];
  const warnings: string[] = [];
  for (const check of checks) {
    if (check.kind !== "dimension" || check.outcome === "pass") continue;
    const figures = calibration.dimensions[check.name];
    if (!figures || figures.rho === null || figures.rho >= WEAK_RHO) continue;
    warnings.push(
      `dimension '${check.name}' rests on weak judge agreement (rho ${
        figures.rho.toFixed(2)
      } on ${figures.n} labels)`,
    );
  }
  return warnings;
}
