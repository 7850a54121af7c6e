/** A cell's work after its model calls (writing its result), done while the next cell's call is in flight. */
export type Finish = () => Promise<void>;

/**
 * Runs `count` items through `concurrency` loops, each taking the next
 * item: memory stays proportional to the concurrency, not to the count.
 * An item's `work` makes its model calls and returns what is left to do
 * (its `Finish`); a loop does that once its next item's first call is in
 * flight (`sent`), so writing overlaps calling. The first error stops
 * every loop from taking more items and is thrown once they are done.
 */
export async function runPool(
  count: number,
  concurrency: number,
  work: (index: number, sent: () => void) => Promise<Finish | undefined>,
): Promise<void> {
  let next = 0;
  let stopped = false;
  const loop = async () => {
    let finish: Finish | undefined;
    try {
      while (!stopped && next < count) {
        const sent = Promise.withResolvers<void>();
        const item = work(next++, sent.resolve);
        if (finish) {
          await Promise.race([sent.promise, item]);
          await finish();
        }
        finish = await item;
      }
      await finish?.();
    } catch (error) {
      stopped = true;
      throw error;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, loop),
  );
}
