/** Seeded randomness for training: the generator is core's (one implementation for every package), plus a permutation. */
import type { Random } from '@antler/core';

export { createRandom, type Random } from '@antler/core';

/** A random permutation of 0 … n−1 (Fisher–Yates). */
export function permutation(n: number, random: Random): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    const tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  return p;
}
