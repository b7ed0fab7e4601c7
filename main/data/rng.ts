// Seeded pseudo-random numbers so shuffles, derived splits and augmentation are reproducible.

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast, good enough for shuffling and augmentation (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix32(h: number, word: number): number {
  let k = Math.imul(word >>> 0, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  return h >>> 0;
}

/**
 * Mixes integers (seed, epoch, index, tag...) into one 32-bit seed, murmur3-style, so that nearby
 * inputs give unrelated streams. Numbers beyond 32 bits contribute both words.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const p = Math.trunc(part);
    h = mix32(h, p >>> 0);
    h = mix32(h, Math.floor(p / 4294967296) >>> 0);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A generator seeded from several integers, e.g. rngFrom(seed, epoch). */
export function rngFrom(...parts: number[]): Rng {
  return mulberry32(mixSeed(...parts));
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
