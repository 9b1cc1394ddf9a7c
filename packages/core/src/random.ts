/**
 * The one seeded generator every Antler package uses (zoo cells, solvers' training, test data). It lives in
 * core because zoo and solvers may not depend on each other. A small deterministic pseudo-random generator (mulberry32 for uniforms, Box–Muller for normals),
 * so that random cells and test data are reproducible from a seed on every platform.
 */

/** A seeded source of uniform and normal random numbers. */
export interface Random {
  /** The next uniform number in [0, 1). */
  uniform(): number;
  /** The next uniform number in [low, high). */
  uniformIn(low: number, high: number): number;
  /** The next standard normal number N(0, 1). */
  normal(): number;
  /** The next integer in [0, n). */
  integer(n: number): number;
  /** Fills `out[offset … offset + count)` with U(low, high) and returns `out`. */
  fillUniform<A extends { [i: number]: number; length: number }>(
    out: A,
    low?: number,
    high?: number,
    offset?: number,
    count?: number,
  ): A;
  /** Fills `out[offset … offset + count)` with N(mean, std²) and returns `out`. */
  fillNormal<A extends { [i: number]: number; length: number }>(
    out: A,
    mean?: number,
    std?: number,
    offset?: number,
    count?: number,
  ): A;
}

/**
 * Creates a deterministic generator from a 32-bit integer seed (mulberry32; 2³² period, enough
 * for weights and test data, not for cryptography).
 *
 * @example
 * ```ts
 * import { createRandom } from '@antler/core';
 * const rng = createRandom(42);
 * const x = rng.fillNormal(new Float64Array(8)); // the same 8 numbers on every run
 * ```
 */
export function createRandom(seed = 0): Random {
  let state = seed >>> 0;
  let spare = Number.NaN;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = Number.NaN;
      return s;
    }
    // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform,
    normal,
    uniformIn: (low, high) => low + (high - low) * uniform(),
    integer: (n) => Math.floor(uniform() * n),
    fillUniform(out, low = 0, high = 1, offset = 0, count = out.length - offset) {
      for (let i = 0; i < count; i++) out[offset + i] = low + (high - low) * uniform();
      return out;
    },
    fillNormal(out, mean = 0, std = 1, offset = 0, count = out.length - offset) {
      for (let i = 0; i < count; i++) out[offset + i] = mean + std * normal();
      return out;
    },
  };
}
