/** Hutchinson-style stochastic estimate of diag(∂f/∂h) from Jacobian–vector products. */
import type { Cell, FloatArray } from '@antler/core';
import { createFdScratch, DEFAULT_FD_STEP, fdJvp } from './finite-difference.js';

/** Options of {@link estimateDiagonal}. */
export interface DiagonalEstimatorOptions {
  /** Number of Rademacher probes (default 16). Error falls like 1/√samples. */
  readonly samples?: number;
  /** Seed of the probe generator (default 1). */
  readonly seed?: number;
}

/**
 * Estimates diag(J), J = ∂f/∂h at (h, x), as the mean of v ⊙ (J v) over Rademacher probes v (entries ±1):
 * E[v_i (Jv)_i] = J_ii because E[v_i v_j] = δ_ij. J v comes from the cell's dense Jacobian when it has one,
 * else from a central difference. Writes n values to `out[outOffset …]`. Useful for cells with neither a
 * diagonal method nor a cheap dense one: each probe costs two steps instead of 2n.
 *
 * @example
 * ```ts
 * import { estimateDiagonal } from '@antler/jacobian';
 * const cell = { kind: 'lin', stateSize: 2, inputSize: 0,
 *   step: (h, ho, _x, _xo, o, oo) => { o[oo] = 2 * h[ho] + h[ho + 1]; o[oo + 1] = 3 * h[ho + 1]; } };
 * const d = new Float64Array(2);
 * estimateDiagonal(cell, new Float64Array(2), null, d, 0, { samples: 64 });
 * // d ≈ [2, 3] (up to the off-diagonal noise, which averages out)
 * ```
 */
export function estimateDiagonal(
  cell: Cell,
  h: FloatArray,
  x: FloatArray | null,
  out: FloatArray,
  outOffset: number,
  options: DiagonalEstimatorOptions = {},
): void {
  const n = cell.stateSize;
  const samples = options.samples ?? 16;
  let state = (options.seed ?? 1) >>> 0 || 1;
  const v = new Float64Array(n);
  const jv = new Float64Array(n);
  const acc = new Float64Array(n);
  const scratch = createFdScratch(n);
  const xs = x ?? new Float64Array(0);
  const dense = cell.denseJacobian ? new Float64Array(n * n) : null;
  const fTmp = new Float64Array(n);
  if (dense) cell.denseJacobian?.(h, 0, xs, 0, fTmp, 0, dense, 0);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < n; i++) {
      // xorshift32: a tiny deterministic generator for the ±1 probes.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      v[i] = (state >>> 0) & 1 ? 1 : -1;
    }
    if (dense) {
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let j = 0; j < n; j++) t += dense[i * n + j] * v[j];
        jv[i] = t;
      }
    } else {
      fdJvp(cell, h, 0, xs, 0, v, 0, jv, 0, DEFAULT_FD_STEP, scratch);
    }
    for (let i = 0; i < n; i++) acc[i] += v[i] * jv[i];
  }
  for (let i = 0; i < n; i++) out[outOffset + i] = acc[i] / samples;
}
