import type { Io } from "./command.ts";

/** An `Io` that keeps what a command prints, for tests. */
export function capture(): { out: string[]; err: string[]; io: Io } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}
