/**
 * For tests and benchmark scripts that run toolkit code in a Deno child
 * process of their own (a process to kill or to measure alone, or
 * environment variables that must not reach the test files running in
 * parallel in the test process).
 *
 * @module
 */

/** `deno run` with what the toolkit needs: files, environment, libSQL's FFI and system information. */
export const DENO_RUN: readonly string[] = [
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-ffi",
  "--allow-sys",
];

/** {@linkcode DENO_RUN} and the loopback network (a local stub or database server). */
export const DENO_RUN_NET: readonly string[] = [
  ...DENO_RUN,
  "--allow-net=127.0.0.1",
];
