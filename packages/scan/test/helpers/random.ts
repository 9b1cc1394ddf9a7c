/** Deterministic random numbers for tests (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` uniform numbers in [lo, hi). */
export function uniform(rand: () => number, count: number, lo = -1, hi = 1): Float64Array {
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = lo + (hi - lo) * rand();
  return x;
}
