/**
 * Central finite differences of a cell's step with respect to the state: dense Jacobian, its diagonal,
 * k×k diagonal blocks, Jacobian–vector and vector–Jacobian products. All compute in double precision.
 */
import type { Cell, FloatArray } from '@antler/core';

/** Default relative step of the central differences: ∛ε₆₄ ≈ 6e-6 balances truncation and rounding error. */
export const DEFAULT_FD_STEP = 6.055454452393343e-6;

/** The perturbation used for state component `v`: `eps · max(1, |v|)`. */
export function fdStepFor(value: number, eps: number = DEFAULT_FD_STEP): number {
  return eps * Math.max(1, Math.abs(value));
}

/** Reusable double-precision scratch for the finite-difference routines (size n). */
export interface FdScratch {
  readonly h: Float64Array;
  readonly plus: Float64Array;
  readonly minus: Float64Array;
}

/** Allocates scratch for a cell of state size `n`. */
export function createFdScratch(n: number): FdScratch {
  return { h: new Float64Array(n), plus: new Float64Array(n), minus: new Float64Array(n) };
}

const EMPTY = new Float64Array(0);

function inputOf(x: FloatArray | null): FloatArray {
  return x ?? EMPTY;
}

/**
 * Central-difference Jacobian column `j` of f at (h, x): writes ∂f/∂h_j into `scratch.plus`
 * (`scratch.h` must already hold h). Costs two steps.
 */
function fdColumn(
  cell: Cell,
  x: FloatArray,
  xOffset: number,
  j: number,
  eps: number,
  scratch: FdScratch,
): void {
  const { h, plus, minus } = scratch;
  const n = cell.stateSize;
  const v = h[j];
  const d = fdStepFor(v, eps);
  h[j] = v + d;
  cell.step(h, 0, x, xOffset, plus, 0);
  h[j] = v - d;
  cell.step(h, 0, x, xOffset, minus, 0);
  h[j] = v;
  const inv = 1 / (2 * d);
  for (let i = 0; i < n; i++) plus[i] = (plus[i] - minus[i]) * inv;
}

function loadState(cell: Cell, h: FloatArray, hOffset: number, scratch: FdScratch): void {
  for (let i = 0; i < cell.stateSize; i++) scratch.h[i] = h[hOffset + i];
}

/**
 * Dense Jacobian ∂f/∂h at (h, x) by central differences, row-major n×n into `jac[jacOffset …]`
 * (2n steps). Also writes f(h, x) to `f[fOffset …]` when `f` is given.
 *
 * @example
 * ```ts
 * import { fdDenseJacobian } from '@antler/jacobian';
 * const cell = { kind: 'sq', stateSize: 1, inputSize: 0, step: (h, ho, _x, _xo, o, oo) => { o[oo] = h[ho] * h[ho]; } };
 * const jac = new Float64Array(1);
 * fdDenseJacobian(cell, new Float64Array([3]), 0, null, 0, jac, 0);
 * // jac[0] ≈ 6
 * ```
 */
export function fdDenseJacobian(
  cell: Cell,
  h: FloatArray,
  hOffset: number,
  x: FloatArray | null,
  xOffset: number,
  jac: FloatArray,
  jacOffset: number,
  f: FloatArray | null = null,
  fOffset = 0,
  eps: number = DEFAULT_FD_STEP,
  scratch: FdScratch = createFdScratch(cell.stateSize),
): void {
  const n = cell.stateSize;
  const xs = inputOf(x);
  loadState(cell, h, hOffset, scratch);
  for (let j = 0; j < n; j++) {
    fdColumn(cell, xs, xOffset, j, eps, scratch);
    for (let i = 0; i < n; i++) jac[jacOffset + i * n + j] = scratch.plus[i];
  }
  if (f) cell.step(scratch.h, 0, xs, xOffset, f, fOffset);
}

/** Diagonal of ∂f/∂h by central differences (2n steps) into `diag[diagOffset …]`; f too when given. */
export function fdDiagonalJacobian(
  cell: Cell,
  h: FloatArray,
  hOffset: number,
  x: FloatArray | null,
  xOffset: number,
  diag: FloatArray,
  diagOffset: number,
  f: FloatArray | null = null,
  fOffset = 0,
  eps: number = DEFAULT_FD_STEP,
  scratch: FdScratch = createFdScratch(cell.stateSize),
): void {
  const n = cell.stateSize;
  const xs = inputOf(x);
  loadState(cell, h, hOffset, scratch);
  for (let j = 0; j < n; j++) {
    fdColumn(cell, xs, xOffset, j, eps, scratch);
    diag[diagOffset + j] = scratch.plus[j];
  }
  if (f) cell.step(scratch.h, 0, xs, xOffset, f, fOffset);
}

/** k×k diagonal blocks of ∂f/∂h by central differences (2n steps), layout as `Cell.blockJacobian`. */
export function fdBlockJacobian(
  cell: Cell,
  blockSize: number,
  h: FloatArray,
  hOffset: number,
  x: FloatArray | null,
  xOffset: number,
  blocks: FloatArray,
  blocksOffset: number,
  f: FloatArray | null = null,
  fOffset = 0,
  eps: number = DEFAULT_FD_STEP,
  scratch: FdScratch = createFdScratch(cell.stateSize),
): void {
  const n = cell.stateSize;
  const k = blockSize;
  const xs = inputOf(x);
  loadState(cell, h, hOffset, scratch);
  for (let j = 0; j < n; j++) {
    fdColumn(cell, xs, xOffset, j, eps, scratch);
    const p = Math.floor(j / k);
    const c = j - p * k;
    for (let r = 0; r < k; r++) blocks[blocksOffset + p * k * k + r * k + c] = scratch.plus[p * k + r];
  }
  if (f) cell.step(scratch.h, 0, xs, xOffset, f, fOffset);
}

/** Jacobian–vector product (∂f/∂h) v by one central difference along v (2 steps) into `out`. */
export function fdJvp(
  cell: Cell,
  h: FloatArray,
  hOffset: number,
  x: FloatArray | null,
  xOffset: number,
  v: FloatArray,
  vOffset: number,
  out: FloatArray,
  outOffset: number,
  eps: number = DEFAULT_FD_STEP,
  scratch: FdScratch = createFdScratch(cell.stateSize),
): void {
  const n = cell.stateSize;
  const xs = inputOf(x);
  let hNorm = 0;
  let vNorm = 0;
  for (let i = 0; i < n; i++) {
    hNorm = Math.max(hNorm, Math.abs(h[hOffset + i]));
    vNorm = Math.max(vNorm, Math.abs(v[vOffset + i]));
  }
  if (vNorm === 0) {
    for (let i = 0; i < n; i++) out[outOffset + i] = 0;
    return;
  }
  const d = fdStepFor(hNorm, eps) / vNorm;
  const { h: w, plus, minus } = scratch;
  for (let i = 0; i < n; i++) w[i] = h[hOffset + i] + d * v[vOffset + i];
  cell.step(w, 0, xs, xOffset, plus, 0);
  for (let i = 0; i < n; i++) w[i] = h[hOffset + i] - d * v[vOffset + i];
  cell.step(w, 0, xs, xOffset, minus, 0);
  for (let i = 0; i < n; i++) out[outOffset + i] = (plus[i] - minus[i]) / (2 * d);
}

/** Vector–Jacobian product gᵀ(∂f/∂h) by central differences (2n steps) into `out` (overwritten). */
export function fdVjp(
  cell: Cell,
  h: FloatArray,
  hOffset: number,
  x: FloatArray | null,
  xOffset: number,
  g: FloatArray,
  gOffset: number,
  out: FloatArray,
  outOffset: number,
  eps: number = DEFAULT_FD_STEP,
  scratch: FdScratch = createFdScratch(cell.stateSize),
): void {
  const n = cell.stateSize;
  const xs = inputOf(x);
  loadState(cell, h, hOffset, scratch);
  for (let j = 0; j < n; j++) {
    fdColumn(cell, xs, xOffset, j, eps, scratch);
    let s = 0;
    for (let i = 0; i < n; i++) s += g[gOffset + i] * scratch.plus[i];
    out[outOffset + j] = s;
  }
}
