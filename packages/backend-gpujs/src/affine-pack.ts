/**
 * Gather and scatter between Antler's strided views and the packed layout the gpu.js scan kernel
 * reads. Every structure becomes a batch of independent k×k affine problems (dense: k = n; block: one
 * problem per block; diagonal: one 1×1 problem per state component). Element (q, t) of problem q holds
 * the k×k matrix M then the k-vector v, `S = k² + k` floats at `(q·T + t)·S`. Reverse scans are packed
 * in reversed time and transposes are applied while packing, so the kernel only runs forward.
 */
import type { CheckedAffineArgs } from './affine-args.js';

/** Floats per packed step for problems of size k. */
export function packedStepSize(k: number): number {
  return k * k + k;
}

/** Number of independent k×k problems of an affine scan (batch × blocks). */
export function problemCount(r: CheckedAffineArgs): number {
  return r.batch * (r.size / r.k);
}

/**
 * Packs problems `[first, first + count)` of `r` into `packed` (length ≥ count·T·S). The start state
 * s0 is folded into the first step's offset (v ← M s0 + v), computed in float64 and rounded once.
 */
export function packAffine(r: CheckedAffineArgs, first: number, count: number, packed: Float32Array): void {
  const { k, length: T, size: n, structure } = r;
  const P = n / k;
  const S = packedStepSize(k);
  const ad = r.a.data;
  const bd = r.b.data;
  for (let q = 0; q < count; q++) {
    const kb = Math.floor((first + q) / P);
    const p = first + q - kb * P;
    for (let t = 0; t < T; t++) {
      const src = r.reverse ? T - 1 - t : t;
      const o = (q * T + t) * S;
      const ab = r.a.offset + kb * r.a.batchStride + src * r.a.timeStride;
      if (structure === 'diagonal') {
        packed[o] = ad[ab + p];
      } else {
        // dense: the whole n×n matrix (P = 1, p = 0); block: block p of k×k.
        const m0 = ab + p * k * k;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++)
            packed[o + i * k + j] = r.transpose ? ad[m0 + j * k + i] : ad[m0 + i * k + j];
      }
      const bb = r.b.offset + kb * r.b.batchStride + src * r.b.timeStride + p * k;
      for (let i = 0; i < k; i++) packed[o + k * k + i] = bd[bb + i];
    }
    if (r.s0) {
      const o = q * T * S;
      const s = r.s0.data;
      const sb = r.s0.offset + kb * r.s0.batchStride + p * k;
      for (let i = 0; i < k; i++) {
        let v = packed[o + k * k + i];
        for (let j = 0; j < k; j++) v += packed[o + i * k + j] * s[sb + j];
        packed[o + k * k + i] = v;
      }
    }
  }
}

/**
 * Writes the states of problems `[first, first + count)` from the scanned packed buffer to `r.out`
 * (only the addressed elements: padding between strided elements is never touched). Returns false when
 * any written value is NaN or ±Infinity.
 */
export function unpackStates(
  r: CheckedAffineArgs,
  first: number,
  count: number,
  packed: ArrayLike<number>,
): boolean {
  const { k, length: T, size: n } = r;
  const P = n / k;
  const S = packedStepSize(k);
  const od = r.out.data;
  let check = 0;
  for (let q = 0; q < count; q++) {
    const kb = Math.floor((first + q) / P);
    const p = first + q - kb * P;
    for (let t = 0; t < T; t++) {
      const dst = r.reverse ? T - 1 - t : t;
      const o = (q * T + t) * S + k * k;
      const ob = r.out.offset + kb * r.out.batchStride + dst * r.out.timeStride + p * k;
      for (let i = 0; i < k; i++) {
        const v = packed[o + i];
        od[ob + i] = v;
        check += v - v;
      }
    }
  }
  return check === 0;
}

/**
 * Like {@link unpackStates} for a result in the states layout `[count][T][k]` (what the chunked scan
 * returns) instead of the packed layout.
 */
export function unpackStateRows(
  r: CheckedAffineArgs,
  first: number,
  count: number,
  states: ArrayLike<number>,
): boolean {
  const { k, length: T, size: n } = r;
  const P = n / k;
  const od = r.out.data;
  let check = 0;
  for (let q = 0; q < count; q++) {
    const kb = Math.floor((first + q) / P);
    const p = first + q - kb * P;
    for (let t = 0; t < T; t++) {
      const dst = r.reverse ? T - 1 - t : t;
      const o = (q * T + t) * k;
      const ob = r.out.offset + kb * r.out.batchStride + dst * r.out.timeStride + p * k;
      for (let i = 0; i < k; i++) {
        const v = states[o + i];
        od[ob + i] = v;
        check += v - v;
      }
    }
  }
  return check === 0;
}
