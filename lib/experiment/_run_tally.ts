import { Decimal } from "decimal.js";
import type { Receipt } from "../schema/receipt.ts";
import type { CellStatus } from "../schema/result.ts";
import type { ProgressUpdate } from "./progress.ts";

/** A session's counts for one run, added up as its cells commit (money in exact decimals). */
export class RunTally {
  committed = 0;
  /** Receipts of calls that reached an adapter. */
  calls = 0;
  /** Receipts served from the response cache. */
  cached = 0;
  failures = 0;
  judgeErrors = 0;
  cost: Decimal = new Decimal(0);
  uncached: Decimal = new Decimal(0);

  /** Counts a committed cell. */
  add(
    receipts: readonly Receipt[],
    status: CellStatus,
    judgeError: string | null,
  ): void {
    this.committed++;
    if (status === "provider_error") this.failures++;
    if (judgeError) this.judgeErrors++;
    for (const r of receipts) {
      if (r.cached_from === null) this.calls++;
      else this.cached++;
      if (r.cost !== null) this.cost = this.cost.plus(r.cost);
      const uncached = r.uncached_cost ?? r.cost;
      if (uncached !== null) this.uncached = this.uncached.plus(uncached);
    }
  }

  /** What the progress display shows. */
  progress(label: string, total: number): ProgressUpdate {
    return {
      done: this.committed,
      total,
      calls: this.calls,
      cached: this.cached,
      cost: this.cost.toString(),
      errors: this.failures,
      label,
    };
  }
}
