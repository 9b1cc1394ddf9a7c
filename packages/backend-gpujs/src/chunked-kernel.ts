/**
 * The chunked diagonal scan (k = 1), which does less work than Hillis–Steele over all of T. Each
 * problem's T steps are cut into chunks of L:
 * 1. reduce: one thread per (problem, chunk, component) composes its chunk into one element (A, V);
 * 2. the chunk elements are scanned with the Hillis–Steele passes of `scan-kernel.ts` over C = ⌈T/L⌉;
 * 3. apply: one thread per state starts from the previous chunk's prefix state and walks its chunk up
 *    to its own step.
 * Work ≈ (2 + L/2)·T + 2·C·log₂C instead of 2·T·log₂T, passes log₂C instead of log₂T, and the readback
 * is the states only (half the packed buffer). Packed input layout as in `affine-pack.ts` (S = 2).
 */

/** Default chunk length L: small, because the apply step walks up to L − 1 elements per state. */
export const DEFAULT_CHUNK_LENGTH = 8;

/** Number of chunks of a sequence of `length` steps. */
export function chunkCount(length: number, chunkLength: number): number {
  return Math.ceil(length / chunkLength);
}

/** Reduce: output `[Q][C][2]`, constants `T`, `L`, `C`. */
export const CHUNK_REDUCE_SOURCE = `function (e) {
  const T = this.constants.T;
  const L = this.constants.L;
  const C = this.constants.C;
  const x = this.thread.x;
  const cell = Math.floor(x / 2);
  const comp = x - cell * 2;
  const q = Math.floor(cell / C);
  const c = cell - q * C;
  const start = c * L;
  let A = 1;
  let V = 0;
  for (let u = 0; u < L; u++) {
    const t = start + u;
    if (t < T) {
      const o = (q * T + t) * 2;
      V = e[o] * V + e[o + 1];
      A = e[o] * A;
    }
  }
  if (comp < 1) {
    return A;
  }
  return V;
}`;

/** Apply: output `[Q][T]` (the states), constants `T`, `L`, `C`; `p` is the scanned `[Q][C][2]`. */
export const CHUNK_APPLY_SOURCE = `function (e, p) {
  const T = this.constants.T;
  const L = this.constants.L;
  const C = this.constants.C;
  const x = this.thread.x;
  const q = Math.floor(x / T);
  const t = x - q * T;
  const c = Math.floor(t / L);
  let s = 0;
  if (c > 0) {
    s = p[(q * C + c - 1) * 2 + 1];
  }
  const start = c * L;
  for (let u = 0; u < L; u++) {
    const tt = start + u;
    if (tt <= t) {
      const o = (q * T + tt) * 2;
      s = e[o] * s + e[o + 1];
    }
  }
  return s;
}`;
