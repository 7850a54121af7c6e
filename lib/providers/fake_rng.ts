/**
 * Named, hash-seeded draws for the fake provider. A draw is a pure function
 * of a key and a name, so adding a decision never shifts the others, and the
 * same (key, name) always gives the same number.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A source of deterministic numbers, one per decision name. */
export interface Draws {
  /** A number in [0, 1) for the named decision. */
  unit(name: string): number;
  /** A standard normal number for the named decision (Box-Muller over two units). */
  normal(name: string): number;
  /** One item of a non-empty list, chosen by the named decision. */
  pick<T>(name: string, items: readonly T[]): T;
}

/**
 * Draws seeded by `key`: every number is the sha256 of `key` and the
 * decision name, read as a fraction.
 */
export function drawsFrom(key: string): Draws {
  function unit(name: string): number {
    const digest = createHash("sha256").update(`${key}\u0000${name}`)
      .digest();
    // 48 bits are plenty and stay exact in a double.
    return digest.readUIntBE(0, 6) / 2 ** 48;
  }
  return {
    unit,
    normal(name: string): number {
      const u1 = Math.max(unit(`${name}#1`), 1e-12);
      const u2 = unit(`${name}#2`);
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    pick<T>(name: string, items: readonly T[]): T {
      if (items.length === 0) {
        throw new RangeError(`Cannot pick for "${name}" from an empty list`);
      }
      return items[Math.floor(unit(name) * items.length)]!;
    },
  };
}

/** The first `length` hex digits of the sha256 of `text`. */
export function shortHash(text: string, length = 16): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}
