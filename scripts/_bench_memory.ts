// deno-lint-ignore-file no-console
/**
 * Memory of benchmark part 1, sampled: runs `_bench_overhead.ts` (same
 * arguments) in this process and samples `Deno.memoryUsage()` every 2 s.
 * Started with `--v8-flags=--expose-gc`, it forces a major collection
 * before each sample, so `heap_used` is the live heap; without it, the
 * samples show the heap as V8 lets it grow. Prints the samples as one JSON
 * line on stderr after the part's own report. A synchronous stretch (the
 * card folded from a local file's rows) takes no sample.
 *
 * Run with `-A` (Deno reads `/proc/self/status` only with all permissions)
 * and each sample also has the process's resident anonymous and
 * file-backed memory (`RssAnon`, `RssFile`; Linux), which with the main
 * heap's `heap_total_mb` tells how much sits outside that heap.
 *
 * Usage: _bench_memory.ts <catalog dir> <database file> <label>
 *
 * @module
 */
const gc = (globalThis as { gc?: () => void }).gc;
const samples: {
  t_s: number;
  heap_used_mb: number;
  heap_total_mb: number;
  rss_mb: number;
  rss_anon_mb?: number | undefined;
  rss_file_mb?: number | undefined;
}[] = [];
const started = performance.now();
const mb = (bytes: number) => Math.round(bytes / 1e6);
/** RssAnon and RssFile in MB from `/proc/self/status`, when it can be read. */
function resident(): {
  rss_anon_mb?: number | undefined;
  rss_file_mb?: number | undefined;
} {
  let status: string;
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch {
    return {};
  }
  const kb = (field: string) => {
    const found = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return found ? mb(Number(found[1]) * 1024) : undefined;
  };
  return { rss_anon_mb: kb("RssAnon"), rss_file_mb: kb("RssFile") };
}
const timer = setInterval(() => {
  gc?.();
  const m = Deno.memoryUsage();
  samples.push({
    t_s: Math.round((performance.now() - started) / 1000),
    heap_used_mb: mb(m.heapUsed),
    heap_total_mb: mb(m.heapTotal),
    rss_mb: mb(m.rss),
    ...resident(),
  });
}, 2000);
try {
  await import("./_bench_overhead.ts");
} finally {
  clearInterval(timer);
}
const used = samples.map((s) => s.heap_used_mb);
console.error(JSON.stringify({
  forced_gc: gc !== undefined,
  heap_used_mb: { min: Math.min(...used), max: Math.max(...used) },
  samples,
}));
