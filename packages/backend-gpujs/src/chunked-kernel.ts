/**
 * The chunked scan for 1×1 (diagonal) and 2×2 problems: less work than Hillis–Steele over all of T. Each
 * problem's T steps are cut into chunks of L:
 * 1. reduce: one thread per (problem, chunk, component) composes its chunk into one element (A, V);
 * 2. the chunk elements are scanned with the Hillis–Steele passes of `scan-kernel.ts` over C = ⌈T/L⌉;
 * 3. apply: one thread per state starts from the previous chunk's prefix state and walks its chunk up
 *    to its own step.
 * Work ≈ (2 + L/2)·T + 2·C·log₂C instead of 2·T·log₂T, passes log₂C instead of log₂T, and the readback
 * is the states only. Packed input layout as in `affine-pack.ts` (S = k² + k: 2 or 6).
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

/**
 * Reduce for 2×2 problems (block size 2, or dense n = 2): output `[Q][C][6]` = (M row-major, v); each
 * thread composes its whole chunk in scalars (no local arrays in gpu.js kernels) and returns one entry.
 */
export const CHUNK_REDUCE_2_SOURCE = `function (e) {
  const T = this.constants.T;
  const L = this.constants.L;
  const C = this.constants.C;
  const x = this.thread.x;
  const cell = Math.floor(x / 6);
  const comp = x - cell * 6;
  const q = Math.floor(cell / C);
  const c = cell - q * C;
  const start = c * L;
  let p00 = 1;
  let p01 = 0;
  let p10 = 0;
  let p11 = 1;
  let v0 = 0;
  let v1 = 0;
  for (let u = 0; u < L; u++) {
    const t = start + u;
    if (t < T) {
      const o = (q * T + t) * 6;
      const m00 = e[o];
      const m01 = e[o + 1];
      const m10 = e[o + 2];
      const m11 = e[o + 3];
      const n00 = m00 * p00 + m01 * p10;
      const n01 = m00 * p01 + m01 * p11;
      const n10 = m10 * p00 + m11 * p10;
      const n11 = m10 * p01 + m11 * p11;
      const w0 = m00 * v0 + m01 * v1 + e[o + 4];
      const w1 = m10 * v0 + m11 * v1 + e[o + 5];
      p00 = n00;
      p01 = n01;
      p10 = n10;
      p11 = n11;
      v0 = w0;
      v1 = w1;
    }
  }
  if (comp < 1) {
    return p00;
  }
  if (comp < 2) {
    return p01;
  }
  if (comp < 3) {
    return p10;
  }
  if (comp < 4) {
    return p11;
  }
  if (comp < 5) {
    return v0;
  }
  return v1;
}`;

/** Apply for 2×2 problems: output the states `[Q][T][2]`; `p` is the scanned `[Q][C][6]`. */
export const CHUNK_APPLY_2_SOURCE = `function (e, p) {
  const T = this.constants.T;
  const L = this.constants.L;
  const C = this.constants.C;
  const x = this.thread.x;
  const row = Math.floor(x / 2);
  const i = x - row * 2;
  const q = Math.floor(row / T);
  const t = row - q * T;
  const c = Math.floor(t / L);
  let s0 = 0;
  let s1 = 0;
  if (c > 0) {
    const po = (q * C + c - 1) * 6;
    s0 = p[po + 4];
    s1 = p[po + 5];
  }
  const start = c * L;
  for (let u = 0; u < L; u++) {
    const tt = start + u;
    if (tt <= t) {
      const o = (q * T + tt) * 6;
      const w0 = e[o] * s0 + e[o + 1] * s1 + e[o + 4];
      const w1 = e[o + 2] * s0 + e[o + 3] * s1 + e[o + 5];
      s0 = w0;
      s1 = w1;
    }
  }
  if (i < 1) {
    return s0;
  }
  return s1;
}`;
