// A small seeded random number generator (mulberry32) whose whole state is one 32-bit integer,
// so data generation and shuffling are reproducible and a trainer can save and restore it.

/** Mixes integers (a seed, an epoch, ...) into one well-spread 32-bit seed (murmur3's finaliser). */
export function mixSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    if (!Number.isSafeInteger(value)) throw new Error(`a seed must be a safe integer, got ${value}`);
    const low = value >>> 0;
    const high = Math.floor(value / 0x1_0000_0000) >>> 0;
    for (const word of [low, high]) {
      h = Math.imul(h ^ word, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** Seeded PRNG: mulberry32 (Tommy Ettinger), period 2^32, plenty for shuffling and toy data. */
export class Rng {
  private s: number;

  /** `seed`: any safe integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    this.s = mixSeed(seed);
  }

  /** Continues exactly where the generator that returned `state` (from state()) stopped. */
  static fromState(state: number): Rng {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new Error(`an Rng state is a 32-bit unsigned integer, got ${state}`);
    }
    const rng = new Rng(0);
    rng.s = state;
    return rng;
  }

  /** The whole state: a 32-bit unsigned integer, safe to store in JSON. */
  state(): number {
    return this.s;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n); `n` a positive integer up to 2^32. Unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x1_0000_0000) {
      throw new Error(`Rng.int(n) needs an integer n from 1 to 2^32, got ${n}`);
    }
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick needs a non-empty array");
    return items[this.int(items.length)]!;
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}
