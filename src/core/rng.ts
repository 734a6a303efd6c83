// Seeded PRNG (mulberry32) for everything random on the host: shuffles, crops, flips, attack starts.
// One generator per purpose keeps runs reproducible however the others are consumed.

export interface Rng {
  /** uniform in [0, 1) */
  next(): number
  /** integer in [0, n) */
  int(n: number): number
  /** The generator's whole state (one uint32): rngFromState(state()) continues this sequence exactly. */
  state(): number
}

export function createRng(seed: number): Rng {
  return rngFromState(((seed >>> 0) ^ 0x9e3779b9) >>> 0)
}

/** A generator that continues from a saved state() (a resumed run's random streams). */
export function rngFromState(state: number): Rng {
  let a = state >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (n) => Math.floor(next() * n), state: () => a }
}

/** Derives an independent seed for a named stream, so streams never share state. */
export function deriveSeed(seed: number, stream: string): number {
  let h = (seed >>> 0) ^ 0x811c9dc5
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** Fisher–Yates permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = p[i]
    p[i] = p[j]
    p[j] = t
  }
  return p
}
