/**
 * Test-only references: central finite differences of a cell's step, written independently of the
 * cells' analytic derivatives, and small float64 helpers.
 */
import type { Cell, GradientMap } from '@antler/core';
import { checkJacobian } from '@antler/jacobian';
import { expect } from 'vitest';
import { createRandom } from '../src/random.js';

const EPS = 1e-5;

/** f(h, x) in float64 through `cell.step`. */
export function stepOf(cell: Cell, h: Float64Array, x: Float64Array): Float64Array {
  const out = new Float64Array(cell.stateSize);
  cell.step(h, 0, x, 0, out, 0);
  return out;
}

/** Central-difference Jacobian of f(h, x) with respect to `which` (row-major rows = n outputs). */
export function fdJacobian(cell: Cell, h: Float64Array, x: Float64Array, which: 'h' | 'x'): Float64Array {
  const n = cell.stateSize;
  const v = which === 'h' ? h : x;
  const cols = v.length;
  const jac = new Float64Array(n * cols);
  for (let j = 0; j < cols; j++) {
    const keep = v[j];
    v[j] = keep + EPS;
    const fp = stepOf(cell, h, x);
    v[j] = keep - EPS;
    const fm = stepOf(cell, h, x);
    v[j] = keep;
    for (let i = 0; i < n; i++) jac[i * cols + j] = (fp[i] - fm[i]) / (2 * EPS);
  }
  return jac;
}

/** Central-difference gradient of gᵀ f(h, x) with respect to each parameter tensor (perturbed in place). */
export function fdParamGrad(cell: Cell, h: Float64Array, x: Float64Array, g: Float64Array): GradientMap {
  const out: GradientMap = {};
  for (const [name, t] of Object.entries(cell.parameters ?? {})) {
    const grad = new Float64Array(t.data.length);
    for (let k = 0; k < t.data.length; k++) {
      const keep = t.data[k];
      t.data[k] = keep + EPS;
      const fp = stepOf(cell, h, x);
      t.data[k] = keep - EPS;
      const fm = stepOf(cell, h, x);
      t.data[k] = keep;
      let s = 0;
      for (let i = 0; i < fp.length; i++) s += g[i] * (fp[i] - fm[i]);
      grad[k] = s / (2 * EPS);
    }
    out[name] = grad;
  }
  return out;
}

/** max |a − b| / max(max |b|, floor): the norm-wise relative error. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

/** Seeded normal vector. */
export function randn(length: number, seed: number, std = 1): Float64Array {
  return createRandom(seed).fillNormal(new Float64Array(length), 0, std);
}

/**
 * Checks every analytic derivative the cell has against central differences at (h, x):
 * dense and diagonal Jacobians (and the f they write), block Jacobian, and the accumulating VJP.
 */
export function expectDerivativesMatchFiniteDifferences(
  cell: Cell,
  h: Float64Array,
  x: Float64Array,
  tol = 1e-7,
): void {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const f = stepOf(cell, h, x);
  const jh = fdJacobian(cell, h, x, 'h');
  // The jacobian package's own checker must agree too (an independent FD implementation).
  const report = checkJacobian(cell, h, x, { tolerance: 1e-6 });
  expect(report.ok, JSON.stringify(report.entries)).toBe(true);
  if (cell.denseJacobian) {
    const fOut = new Float64Array(n + 3);
    const jac = new Float64Array(n * n + 5);
    cell.denseJacobian(h, 0, x, 0, fOut, 3, jac, 5);
    expect(relError(fOut.subarray(3), f)).toBeLessThanOrEqual(1e-15);
    expect(relError(jac.subarray(5), jh)).toBeLessThanOrEqual(tol);
  }
  if (cell.diagonalJacobian) {
    const fOut = new Float64Array(n + 1);
    const diag = new Float64Array(n + 2);
    cell.diagonalJacobian(h, 0, x, 0, fOut, 1, diag, 2);
    expect(relError(fOut.subarray(1), f)).toBeLessThanOrEqual(1e-15);
    const fdDiag = new Float64Array(n);
    for (let i = 0; i < n; i++) fdDiag[i] = jh[i * n + i];
    expect(relError(diag.subarray(2), fdDiag)).toBeLessThanOrEqual(tol);
  }
  if (cell.blockJacobian && cell.blockSize) {
    const k = cell.blockSize;
    const fOut = new Float64Array(n);
    const blocks = new Float64Array(n * k);
    cell.blockJacobian(h, 0, x, 0, fOut, 0, blocks, 0);
    expect(relError(fOut, f)).toBeLessThanOrEqual(1e-15);
    const fdBlocks = new Float64Array(n * k);
    for (let p = 0; p < n / k; p++)
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) fdBlocks[p * k * k + a * k + b] = jh[(p * k + a) * n + p * k + b];
    expect(relError(blocks, fdBlocks)).toBeLessThanOrEqual(tol);
  }
  if (cell.vjp) {
    const g = randn(n, 99);
    const gradH = randn(n + 1, 5); // non-zero start: the VJP must accumulate
    const gradX = randn(m + 2, 6);
    const startH = gradH.slice();
    const startX = gradX.slice();
    const params = cell.parameters ?? {};
    const gradParams: GradientMap = {};
    const startP: GradientMap = {};
    for (const [name, t] of Object.entries(params)) {
      gradParams[name] = randn(t.data.length, 7);
      startP[name] = gradParams[name].slice();
    }
    cell.vjp(h, 0, x, 0, g, 0, gradH, 1, gradX, 2, gradParams);
    const wantH = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) wantH[j] += g[i] * jh[i * n + j];
    const gotH = gradH.subarray(1).map((v, i) => v - startH[1 + i]);
    expect(relError(gotH, wantH)).toBeLessThanOrEqual(tol);
    expect(gradH[0]).toBe(startH[0]);
    if (m > 0) {
      const jx = fdJacobian(cell, h, x, 'x');
      const wantX = new Float64Array(m);
      for (let i = 0; i < n; i++) for (let k = 0; k < m; k++) wantX[k] += g[i] * jx[i * m + k];
      const gotX = gradX.subarray(2).map((v, i) => v - startX[2 + i]);
      expect(relError(gotX, wantX)).toBeLessThanOrEqual(tol);
    }
    const fdP = fdParamGrad(cell, h, x, g);
    for (const name of Object.keys(params)) {
      const got = gradParams[name].map((v, i) => v - startP[name][i]);
      expect(relError(got, fdP[name]), `gradient of ${name}`).toBeLessThanOrEqual(tol);
    }
    // gradX = null and gradParams = null are allowed and leave gradH's accumulation unchanged.
    const gradH2 = new Float64Array(n);
    cell.vjp(h, 0, x, 0, g, 0, gradH2, 0, null, 0, null);
    expect(relError(gradH2, wantH)).toBeLessThanOrEqual(tol);
  }
}
