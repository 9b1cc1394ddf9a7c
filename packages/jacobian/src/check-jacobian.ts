/** Checks a cell's analytic Jacobians against central finite differences. */
import { type Cell, type FloatArray, type JacobianStructure, analyticStructures } from '@antler/core';
import { createFdScratch, DEFAULT_FD_STEP, fdDenseJacobian } from './finite-difference.js';

/** The worst disagreement of one analytic structure with finite differences. */
export interface JacobianCheckEntry {
  readonly structure: JacobianStructure;
  /** Largest |analytic − fd| over the structure's entries. */
  readonly maxAbsError: number;
  /** Largest |analytic − fd| / max(|fd|, 1) (relative for large entries, absolute for small ones). */
  readonly maxRelError: number;
  /** Row and column (of the dense n×n Jacobian) of the entry with the largest relative error. */
  readonly row: number;
  readonly col: number;
  readonly analytic: number;
  readonly finiteDifference: number;
  /** Largest |f from the Jacobian method − f from step|: the method must write the same f. */
  readonly fMismatch: number;
}

/** The result of {@link checkJacobian}. */
export interface JacobianCheck {
  /** One entry per analytic structure the cell provides. */
  readonly entries: readonly JacobianCheckEntry[];
  /** True when every entry's `maxRelError` and `fMismatch` are ≤ `tolerance`. */
  readonly ok: boolean;
  readonly tolerance: number;
}

/** Options of {@link checkJacobian}. */
export interface CheckJacobianOptions {
  /** Pass/fail threshold on the relative error (default 1e-6). */
  readonly tolerance?: number;
  /** Relative finite-difference step. */
  readonly fdStep?: number;
}

/**
 * Compares every analytic Jacobian the cell has (dense, diagonal, block) with a central-difference dense
 * Jacobian at (h, x), and checks that each Jacobian method writes the same f as `step`. Use it when
 * writing a custom cell.
 *
 * @example
 * ```ts
 * import { checkJacobian } from '@antler/jacobian';
 * const cell = {
 *   kind: 'tanh', stateSize: 1, inputSize: 0,
 *   step: (h, ho, _x, _xo, o, oo) => { o[oo] = Math.tanh(2 * h[ho]); },
 *   diagonalJacobian: (h, ho, _x, _xo, f, fo, d, dO) => {
 *     const y = Math.tanh(2 * h[ho]); f[fo] = y; d[dO] = 2 * (1 - y * y);
 *   },
 * };
 * const report = checkJacobian(cell, new Float64Array([0.3]), null);
 * // report.ok === true; report.entries[0].maxRelError < 1e-8
 * ```
 */
export function checkJacobian(
  cell: Cell,
  h: FloatArray,
  x: FloatArray | null,
  options: CheckJacobianOptions = {},
): JacobianCheck {
  const n = cell.stateSize;
  const tolerance = options.tolerance ?? 1e-6;
  const xs = x ?? new Float64Array(0);
  const fd = new Float64Array(n * n);
  fdDenseJacobian(cell, h, 0, xs, 0, fd, 0, null, 0, options.fdStep ?? DEFAULT_FD_STEP, createFdScratch(n));
  const fRef = new Float64Array(n);
  cell.step(h, 0, xs, 0, fRef, 0);
  const entries: JacobianCheckEntry[] = [];
  for (const structure of analyticStructures(cell)) {
    const f = new Float64Array(n);
    const k = cell.blockSize ?? 1;
    // Map each computed entry to its (row, col) of the dense matrix.
    const cells: { row: number; col: number; value: number }[] = [];
    if (structure === 'dense') {
      const j = new Float64Array(n * n);
      cell.denseJacobian?.(h, 0, xs, 0, f, 0, j, 0);
      for (let r = 0; r < n; r++)
        for (let c = 0; c < n; c++) cells.push({ row: r, col: c, value: j[r * n + c] });
    } else if (structure === 'diagonal') {
      const j = new Float64Array(n);
      cell.diagonalJacobian?.(h, 0, xs, 0, f, 0, j, 0);
      for (let i = 0; i < n; i++) cells.push({ row: i, col: i, value: j[i] });
    } else {
      const j = new Float64Array(n * k);
      cell.blockJacobian?.(h, 0, xs, 0, f, 0, j, 0);
      for (let p = 0; p < n / k; p++)
        for (let r = 0; r < k; r++)
          for (let c = 0; c < k; c++)
            cells.push({ row: p * k + r, col: p * k + c, value: j[p * k * k + r * k + c] });
    }
    let worst = { rel: -1, abs: 0, row: 0, col: 0, analytic: 0, fdv: 0 };
    let maxAbs = 0;
    for (const e of cells) {
      const ref = fd[e.row * n + e.col];
      const abs = Math.abs(e.value - ref);
      const rel = abs / Math.max(Math.abs(ref), 1);
      // NaN compares false: treat it as the worst possible entry.
      const relKey = Number.isNaN(rel) ? Number.POSITIVE_INFINITY : rel;
      maxAbs = Number.isNaN(abs) ? Number.POSITIVE_INFINITY : Math.max(maxAbs, abs);
      if (relKey > worst.rel)
        worst = { rel: relKey, abs, row: e.row, col: e.col, analytic: e.value, fdv: ref };
    }
    let fMismatch = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(f[i] - fRef[i]);
      fMismatch = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(fMismatch, d);
    }
    entries.push({
      structure,
      maxAbsError: maxAbs,
      maxRelError: Math.max(worst.rel, 0),
      row: worst.row,
      col: worst.col,
      analytic: worst.analytic,
      finiteDifference: worst.fdv,
      fMismatch,
    });
  }
  return {
    entries,
    ok: entries.every((e) => e.maxRelError <= tolerance && e.fMismatch <= tolerance),
    tolerance,
  };
}
