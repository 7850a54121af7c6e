/**
 * The runner's view of the response cache: lookups in bulk (one query for
 * a window of cells, known before their calls) or batched (lookups made
 * together, in the same turn of the event loop, share one query), instead
 * of one query per call.
 *
 * @module
 */
import type { Store } from "../store/open.ts";
import { type CachedReceipt, findCachedReceipts } from "../store/runs.ts";

/** Lookups made ahead of time: key -> hit, or null for "no hit then". */
export type KnownHits = ReadonlyMap<string, CachedReceipt | null>;

/** Looks cache keys up in bulk. */
export class ReceiptCache {
  #store: Store;
  #pending = new Map<string, PromiseWithResolvers<CachedReceipt | undefined>>();
  #scheduled = false;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Looks many keys up at once (one query per 500 keys). */
  async lookup(
    keys: readonly string[],
  ): Promise<Map<string, CachedReceipt | null>> {
    const hits = await findCachedReceipts(this.#store, keys);
    const known = new Map<string, CachedReceipt | null>();
    for (const key of keys) known.set(key, hits.get(key) ?? null);
    return known;
  }

  /**
   * The hit for a key: from `known` when it was looked up ahead (the caller
   * removes a key from `known` once a receipt with it is committed);
   * otherwise from the database, batched with the other lookups of the same
   * turn.
   */
  get(key: string, known?: KnownHits): Promise<CachedReceipt | undefined> {
    if (known?.has(key)) return Promise.resolve(known.get(key) ?? undefined);
    let waiter = this.#pending.get(key);
    if (!waiter) {
      waiter = Promise.withResolvers();
      this.#pending.set(key, waiter);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => void this.#flush());
    }
    return waiter.promise;
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      const hits = await findCachedReceipts(this.#store, [...batch.keys()]);
      for (const [key, waiter] of batch) waiter.resolve(hits.get(key));
    } catch (error) {
      for (const waiter of batch.values()) waiter.reject(error);
    }
  }
}
