/**
 * Emits the canonical JSON of an object whose members arrive in any order:
 * members arriving in canonical (sorted) order stream straight to the sink,
 * members arriving early are held until their turn. A bundle written by
 * this toolkit arrives in canonical order, so nothing is held.
 *
 * @module
 */

/** Builds `{"k1":v1,"k2":v2}` text for a fixed, sorted list of keys. */
export class OrderedMembers {
  #keys: readonly string[];
  #sink: (text: string) => void;
  #next = 0;
  #emitted = 0;
  #current: string | null = null;
  #live = false;
  #pending = new Map<string, string[]>();
  #complete = new Set<string>();
  #begun = new Set<string>();

  /** Starts the object (`{` goes to the sink at once). */
  constructor(keys: readonly string[], sink: (text: string) => void) {
    this.#keys = keys;
    this.#sink = sink;
    sink("{");
  }

  /** Whether a key belongs to this object. */
  has(key: string): boolean {
    return this.#keys.includes(key);
  }

  /** Starts a member; its value text follows through {@linkcode write}. */
  begin(key: string): void {
    if (!this.has(key) || this.#begun.has(key) || this.#current !== null) {
      throw new RangeError(`Cannot begin member '${key}'`);
    }
    this.#begun.add(key);
    this.#current = key;
    if (key === this.#keys[this.#next]) {
      this.#prefix(key);
      this.#live = true;
    } else {
      this.#pending.set(key, []);
      this.#live = false;
    }
  }

  /** Appends text to the current member's value. */
  write(text: string): void {
    if (this.#live) this.#sink(text);
    else this.#pending.get(this.#current!)!.push(text);
  }

  /** Ends the current member. */
  end(): void {
    if (this.#live) this.#next++;
    else this.#complete.add(this.#current!);
    this.#current = null;
    this.#live = false;
    this.#drain();
  }

  /** Closes the object (`}`); returns the keys that never arrived. */
  finish(): string[] {
    const missing: string[] = [];
    while (this.#next < this.#keys.length) {
      const key = this.#keys[this.#next]!;
      if (this.#complete.has(key)) this.#flush(key);
      else missing.push(key);
      this.#next++;
    }
    this.#sink("}");
    return missing;
  }

  #prefix(key: string): void {
    this.#sink(`${this.#emitted === 0 ? "" : ","}${JSON.stringify(key)}:`);
    this.#emitted++;
  }

  #flush(key: string): void {
    this.#prefix(key);
    for (const text of this.#pending.get(key)!) this.#sink(text);
    this.#pending.delete(key);
    this.#complete.delete(key);
  }

  #drain(): void {
    while (
      this.#next < this.#keys.length &&
      this.#complete.has(this.#keys[this.#next]!)
    ) {
      this.#flush(this.#keys[this.#next]!);
      this.#next++;
    }
  }
}
