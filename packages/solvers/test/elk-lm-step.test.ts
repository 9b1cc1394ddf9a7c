import type { Cell, ScanBackend } from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { describe, expect, it } from 'vitest';
import { getDefaultBackend, solveSync } from '../src/index.js';
import { elmanCell, rng, uniform } from './gradient-fixtures.js';
import { maxAbsDiff } from './solve-fixtures.js';

/** Solves the dense system M x = v by Gaussian elimination with partial pivoting (M is N×N, row-major). */
function denseSolve(N: number, M: Float64Array, v: Float64Array): Float64Array {
  const a = Float64Array.from(M);
  const x = Float64Array.from(v);
  for (let c = 0; c < N; c++) {
    let piv = c;
    for (let r = c + 1; r < N; r++) if (Math.abs(a[r * N + c]) > Math.abs(a[piv * N + c])) piv = r;
    for (let k = 0; k < N; k++) [a[c * N + k], a[piv * N + k]] = [a[piv * N + k], a[c * N + k]];
    [x[c], x[piv]] = [x[piv], x[c]];
    for (let r = c + 1; r < N; r++) {
      const f = a[r * N + c] / a[c * N + c];
      for (let k = c; k < N; k++) a[r * N + k] -= f * a[c * N + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = N - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < N; k++) s -= a[r * N + k] * x[k];
    x[r] = s / a[r * N + r];
  }
  return x;
}

/**
 * The Levenberg–Marquardt step of the linear residual r_t(s) = s_t − A_t s_{t−1} − b_t at s = y (s_0 given),
 * by a dense direct solve of (JᵀJ + λI) δ = −Jᵀ r; J has I on the diagonal and −A_t on the block
 * sub-diagonal. Returns y + δ. `a` is dense `[T][n][n]`.
 */
function denseLmStep(
  T: number,
  n: number,
  a: Float64Array,
  b: Float64Array,
  s0: Float64Array,
  y: Float64Array,
  lambda: number,
): Float64Array {
  const N = T * n;
  const J = new Float64Array(N * N);
  const r = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const row = t * n + i;
      J[row * N + row] = 1;
      let v = y[row] - b[row];
      for (let q = 0; q < n; q++) {
        const aij = a[t * n * n + i * n + q];
        v -= aij * (t === 0 ? s0[q] : y[(t - 1) * n + q]);
        if (t > 0) J[row * N + (t - 1) * n + q] = -aij;
      }
      r[row] = v;
    }
  }
  const M = new Float64Array(N * N);
  const g = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < N; k++) s += J[k * N + i] * J[k * N + j];
      M[i * N + j] = s + (i === j ? lambda : 0);
    }
    let s = 0;
    for (let k = 0; k < N; k++) s += J[k * N + i] * r[k];
    g[i] = -s;
  }
  const delta = denseSolve(N, M, g);
  return y.map((v, i) => v + delta[i]);
}

const backends: [string, ScanBackend][] = [
  ['sequential', createSequentialBackend()],
  ['default', getDefaultBackend()],
];

describe('the ELK smoother is the exact Levenberg–Marquardt step (dense direct solve, T·n ≤ 60)', () => {
  for (const [name, backend] of backends) {
    for (const lambda of [1e-3, 0.3, 20]) {
      it(`${name} backend, dense A, λ = ${lambda}`, () => {
        const T = 12;
        const n = 4;
        const r = rng(Math.round(lambda * 1000) + 5);
        // Entries up to 1.5 make products of A_t grow: the unstable regime ELK is for.
        const a = uniform(T * n * n, 1.5, r);
        const b = uniform(T * n, 1, r);
        const s0 = uniform(n, 1, r);
        const y = uniform(T * n, 2, r);
        const out = new Float64Array(T * n);
        backend.kalmanScan?.({
          structure: 'dense',
          batch: 1,
          length: T,
          size: n,
          a: { data: a },
          b: { data: b },
          s0: { data: s0 },
          y: { data: y },
          processVariance: 1,
          observationVariance: 1 / lambda,
          smooth: true,
          out: { data: out },
        });
        const ref = denseLmStep(T, n, a, b, s0, y, lambda);
        expect(maxAbsDiff(out, ref)).toBeLessThan(1e-9 * Math.max(1, ...ref.map(Math.abs)));
        // The filter mean is the LM step of the prefix problem: equal to the smoother at t = T only.
        backend.kalmanScan?.({
          structure: 'dense',
          batch: 1,
          length: T,
          size: n,
          a: { data: a },
          b: { data: b },
          s0: { data: s0 },
          y: { data: y },
          processVariance: 1,
          observationVariance: 1 / lambda,
          smooth: false,
          out: { data: out },
        });
        const last = (v: ArrayLike<number>) => Array.from(v).slice((T - 1) * n);
        expect(maxAbsDiff(last(out), last(ref))).toBeLessThan(1e-9 * Math.max(1, ...ref.map(Math.abs)));
        const prefix = denseLmStep(5, n, a, b, s0, y.subarray(0, 5 * n), lambda);
        expect(maxAbsDiff(out.subarray(4 * n, 5 * n), prefix.subarray(4 * n))).toBeLessThan(1e-9);
      });
    }
    it(`${name} backend, diagonal A, λ = 0.05`, () => {
      const T = 15;
      const n = 4;
      const r = rng(77);
      const ad = uniform(T * n, 1.6, r);
      const b = uniform(T * n, 1, r);
      const s0 = uniform(n, 1, r);
      const y = uniform(T * n, 2, r);
      const dense = new Float64Array(T * n * n);
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) dense[t * n * n + i * n + i] = ad[t * n + i];
      const out = new Float64Array(T * n);
      backend.kalmanScan?.({
        structure: 'diagonal',
        batch: 1,
        length: T,
        size: n,
        a: { data: ad },
        b: { data: b },
        s0: { data: s0 },
        y: { data: y },
        processVariance: 1,
        observationVariance: 1 / 0.05,
        smooth: true,
        out: { data: out },
      });
      expect(maxAbsDiff(out, denseLmStep(T, n, dense, b, s0, y, 0.05))).toBeLessThan(1e-9);
    });
  }

  it('one ELK iteration of the solver is the LM step of the cell’s linearisation (Elman, fixed λ)', () => {
    const T = 10;
    const n = 5;
    const m = 2;
    const cell: Cell = elmanCell(n, m, 8, 0.9);
    const x = uniform(T * m, 1, rng(9));
    const h0 = uniform(n, 0.5, rng(10));
    const guess = uniform(T * n, 0.8, rng(11));
    // Linearise the guess with the cell's analytic Jacobian: A_t = J_t, b_t = f(s_{t−1}) − J_t s_{t−1}.
    const a = new Float64Array(T * n * n);
    const b = new Float64Array(T * n);
    const f = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const prev = t === 0 ? h0 : guess.subarray((t - 1) * n, t * n);
      cell.denseJacobian?.(prev, 0, x, t * m, f, 0, a, t * n * n);
      for (let i = 0; i < n; i++) {
        let v = f[i];
        for (let q = 0; q < n; q++) v -= a[t * n * n + i * n + q] * prev[q];
        b[t * n + i] = v;
      }
    }
    for (const lambda of [0.01, 1]) {
      const ref = denseLmStep(T, n, a, b, h0, guess, lambda);
      const r = solveSync(cell, x, {
        method: 'elk',
        elk: { lambda },
        h0,
        initialGuess: guess,
        maxIter: 1,
      });
      expect(maxAbsDiff(r.states, ref)).toBeLessThan(1e-12);
    }
  });
});
