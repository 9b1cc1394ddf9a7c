/** A small seeded random number generator, so that training runs are reproducible across methods. */

/** A seeded source of uniform and normal random numbers. */
export interface Random {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [0, n). */
  integer(n: number): number;
}

/**
 * A deterministic generator (mulberry32 for uniforms, Box–Muller for normals): the same seed gives the
 * same sequence on every platform.
 *
 * @example
 * ```ts
 * import { createRandom } from '@antler/solvers';
 * const r = createRandom(42);
 * r.uniform(); // the same number on every run
 * ```
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  let spare: number | null = null;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      if (spare !== null) {
        const v = spare;
        spare = null;
        return v;
      }
      // 1 − u avoids log(0).
      const r = Math.sqrt(-2 * Math.log(1 - uniform()));
      const phi = 2 * Math.PI * uniform();
      spare = r * Math.sin(phi);
      return r * Math.cos(phi);
    },
    integer(n: number) {
      return Math.floor(uniform() * n);
    },
  };
}

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
