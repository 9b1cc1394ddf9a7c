import type { Cell } from '@antler/core';
import { describe, expect, it } from 'vitest';
import {
  checkJacobian,
  estimateDiagonal,
  fdDenseJacobian,
  fdDiagonalJacobian,
  fdJvp,
  fdVjp,
  largestLyapunovExponent,
  lyapunovSpectrum,
  linearize,
} from '../src/index.js';

// f(h, x) = tanh(W h + U x), n = 3, m = 2, with the textbook Jacobian diag(1 − f²) W.
const W = [0.5, -0.3, 0.8, 0.2, 0.4, -0.6, -0.7, 0.1, 0.3];
const U = [0.3, -0.2, 0.5, 0.1, -0.4, 0.6];
function pre(h: ArrayLike<number>, ho: number, x: ArrayLike<number>, xo: number, i: number): number {
  let s = 0;
  for (let j = 0; j < 3; j++) s += W[i * 3 + j] * h[ho + j];
  for (let j = 0; j < 2; j++) s += U[i * 2 + j] * x[xo + j];
  return s;
}
function makeCell(withDense: boolean, withDiag: boolean, wrongDiag = false): Cell {
  let diagCalls = 0;
  const cell: Cell & { diagCalls: () => number } = {
    kind: 'test-tanh',
    stateSize: 3,
    inputSize: 2,
    diagCalls: () => diagCalls,
    step(h, ho, x, xo, o, oo) {
      for (let i = 0; i < 3; i++) o[oo + i] = Math.tanh(pre(h, ho, x, xo, i));
    },
    ...(withDense
      ? {
          denseJacobian(h, ho, x, xo, f, fo, j, jo) {
            for (let i = 0; i < 3; i++) {
              const y = Math.tanh(pre(h, ho, x, xo, i));
              f[fo + i] = y;
              for (let c = 0; c < 3; c++) j[jo + i * 3 + c] = (1 - y * y) * W[i * 3 + c];
            }
          },
        }
      : {}),
    ...(withDiag
      ? {
          diagonalJacobian(h, ho, x, xo, f, fo, d, dO) {
            diagCalls++;
            for (let i = 0; i < 3; i++) {
              const y = Math.tanh(pre(h, ho, x, xo, i));
              f[fo + i] = y;
              d[dO + i] = (1 - y * y) * W[i * 3 + i] * (wrongDiag && i === 1 ? 1.01 : 1);
            }
          },
        }
      : {}),
  };
  return cell;
}

function exactDense(h: ArrayLike<number>, ho: number, x: ArrayLike<number>, xo: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const y = Math.tanh(pre(h, ho, x, xo, i));
    for (let c = 0; c < 3; c++) out.push((1 - y * y) * W[i * 3 + c]);
  }
  return out;
}

const h = new Float64Array([0.3, -0.5, 0.9]);
const x = new Float64Array([0.7, -1.1]);

describe('finite differences', () => {
  it('dense, diagonal, JVP and VJP agree with the closed-form Jacobian', () => {
    const cell = makeCell(false, false);
    const ref = exactDense(h, 0, x, 0);
    const jac = new Float64Array(9);
    fdDenseJacobian(cell, h, 0, x, 0, jac, 0);
    for (let i = 0; i < 9; i++) expect(jac[i]).toBeCloseTo(ref[i], 9);
    const d = new Float64Array(3);
    fdDiagonalJacobian(cell, h, 0, x, 0, d, 0);
    for (let i = 0; i < 3; i++) expect(d[i]).toBeCloseTo(ref[i * 4], 9);
    const v = new Float64Array([1, -2, 0.5]);
    const jv = new Float64Array(3);
    fdJvp(cell, h, 0, x, 0, v, 0, jv, 0);
    const gj = new Float64Array(3);
    fdVjp(cell, h, 0, x, 0, v, 0, gj, 0);
    for (let i = 0; i < 3; i++) {
      let a = 0;
      let b = 0;
      for (let c = 0; c < 3; c++) {
        a += ref[i * 3 + c] * v[c];
        b += v[c] * ref[c * 3 + i];
      }
      expect(jv[i]).toBeCloseTo(a, 8);
      expect(gj[i]).toBeCloseTo(b, 8);
    }
  });
});

describe('linearize', () => {
  const T = 4;
  const B = 2;
  const states = new Float64Array(B * T * 3).map((_, i) => Math.sin(i));
  const h0 = new Float64Array([0.1, 0.2, 0.3]);
  const inputs = new Float64Array(B * T * 2).map((_, i) => Math.cos(i));
  const prevOf = (b: number, t: number): [Float64Array, number] =>
    t === 0 ? [h0, 0] : [states, (b * T + t - 1) * 3];

  it('dense: A_t is the Jacobian at s_{t−1} and A_t s_{t−1} + b_t = f(s_{t−1}) (h0 broadcast)', () => {
    const cell = makeCell(true, true);
    const a = new Float64Array(B * T * 9);
    const b = new Float64Array(B * T * 3);
    const f = new Float64Array(B * T * 3);
    const rep = linearize({
      cell,
      structure: 'dense',
      batch: B,
      length: T,
      states: { data: states },
      h0: { data: h0, batchStride: 0 },
      inputs: { data: inputs },
      a: { data: a },
      b: { data: b },
      f: { data: f },
    });
    expect(rep.source).toBe('analytic');
    for (let bi = 0; bi < B; bi++) {
      for (let t = 0; t < T; t++) {
        const [hp, ho] = prevOf(bi, t);
        const ref = exactDense(hp, ho, inputs, (bi * T + t) * 2);
        const k = bi * T + t;
        for (let i = 0; i < 9; i++) expect(a[k * 9 + i]).toBeCloseTo(ref[i], 14);
        const fr = new Float64Array(3);
        cell.step(hp, ho, inputs, (bi * T + t) * 2, fr, 0);
        for (let i = 0; i < 3; i++) {
          let s = b[k * 3 + i];
          for (let c = 0; c < 3; c++) s += a[k * 9 + i * 3 + c] * hp[ho + c];
          expect(s).toBeCloseTo(fr[i], 14);
          expect(f[k * 3 + i]).toBe(fr[i]);
        }
      }
    }
  });

  it('diagonal calls the cell diagonal (not dense), falls back to dense then to finite differences, and says so', () => {
    const withDiag = makeCell(true, true) as Cell & { diagCalls: () => number };
    const onlyDense = makeCell(true, false);
    const none = makeCell(false, false);
    const results = [withDiag, onlyDense, none].map((cell) => {
      const a = new Float64Array(B * T * 3);
      const b = new Float64Array(B * T * 3);
      const rep = linearize({
        cell,
        structure: 'diagonal',
        batch: B,
        length: T,
        states: { data: states },
        h0: { data: h0, batchStride: 0 },
        inputs: { data: inputs },
        a: { data: a },
        b: { data: b },
      });
      return { rep, a };
    });
    expect(withDiag.diagCalls()).toBe(B * T);
    expect(results.map((r) => r.rep.source)).toEqual(['analytic', 'from-dense', 'finite-difference']);
    for (let k = 0; k < B * T; k++) {
      const bi = Math.floor(k / T);
      const [hp, ho] = prevOf(bi, k % T);
      const ref = exactDense(hp, ho, inputs, k * 2);
      for (let i = 0; i < 3; i++) {
        expect(results[0].a[k * 3 + i]).toBeCloseTo(ref[i * 4], 14);
        expect(results[1].a[k * 3 + i]).toBeCloseTo(ref[i * 4], 14);
        expect(results[2].a[k * 3 + i]).toBeCloseTo(ref[i * 4], 8);
      }
    }
  });

  it('strided views: writes A_t into a padded buffer without touching the padding', () => {
    const cell = makeCell(true, true);
    const a = new Float64Array(1 + T * 5).fill(-7);
    const b = new Float64Array(T * 3);
    linearize({
      cell,
      structure: 'diagonal',
      batch: 1,
      length: T,
      states: { data: states },
      h0: { data: h0 },
      inputs: { data: inputs },
      a: { data: a, offset: 1, timeStride: 5 },
      b: { data: b },
    });
    for (let t = 0; t < T; t++) {
      expect(a[1 + t * 5 + 3]).toBe(-7);
      expect(a[1 + t * 5 + 4]).toBe(-7);
      const [hp, ho] = prevOf(0, t);
      expect(a[1 + t * 5]).toBeCloseTo(exactDense(hp, ho, inputs, t * 2)[0], 14);
    }
  });
});

describe('checkJacobian', () => {
  it('passes a correct cell and pinpoints a wrong diagonal entry', () => {
    expect(checkJacobian(makeCell(true, true), h, x).ok).toBe(true);
    const bad = checkJacobian(makeCell(true, true, true), h, x);
    expect(bad.ok).toBe(false);
    const diag = bad.entries.find((e) => e.structure === 'diagonal');
    expect(diag?.row).toBe(1);
    expect(diag?.col).toBe(1);
    expect(diag?.maxRelError).toBeGreaterThan(1e-4);
    expect(bad.entries.find((e) => e.structure === 'dense')?.maxRelError).toBeLessThan(1e-8);
  });
});

describe('estimateDiagonal', () => {
  it('is exact for a diagonal linear map and converges for a dense one', () => {
    const diagOnly: Cell = {
      kind: 'lin',
      stateSize: 3,
      inputSize: 0,
      step: (hh, ho, _x, _xo, o, oo) => {
        for (let i = 0; i < 3; i++) o[oo + i] = (i + 2) * hh[ho + i];
      },
    };
    const d = new Float64Array(3);
    estimateDiagonal(diagOnly, h, null, d, 0, { samples: 4 });
    for (let i = 0; i < 3; i++) expect(d[i]).toBeCloseTo(i + 2, 8);
    const dense = makeCell(true, false);
    estimateDiagonal(dense, h, x, d, 0, { samples: 4000 });
    const ref = exactDense(h, 0, x, 0);
    for (let i = 0; i < 3; i++) expect(Math.abs(d[i] - ref[i * 4])).toBeLessThan(0.05);
  });
});

describe('largestLyapunovExponent', () => {
  it('equals log of the spectral radius for a constant linear map', () => {
    // s_t = M s_{t−1}, M = [[0.9, 0.5], [0, 0.3]]: λ₁ = log 0.9.
    const cell: Cell = {
      kind: 'lin2',
      stateSize: 2,
      inputSize: 0,
      step: (hh, ho, _x, _xo, o, oo) => {
        o[oo] = 0.9 * hh[ho] + 0.5 * hh[ho + 1];
        o[oo + 1] = 0.3 * hh[ho + 1];
      },
    };
    const T = 400;
    const states = new Float64Array(T * 2);
    let p = [1, 1];
    for (let t = 0; t < T; t++) {
      p = [0.9 * p[0] + 0.5 * p[1], 0.3 * p[1]];
      states[t * 2] = p[0];
      states[t * 2 + 1] = p[1];
    }
    const est = largestLyapunovExponent({
      cell,
      states,
      h0: new Float64Array([1, 1]),
      inputs: null,
      burnIn: 50,
    });
    expect(est.exponent).toBeCloseTo(Math.log(0.9), 6);
  });
});

describe('lyapunovSpectrum', () => {
  it('gives the log-moduli of the eigenvalues of a constant triangular map, analytic and by finite differences', () => {
    // M = [[0.9, 0.5, 0], [0, -0.3, 0.2], [0, 0, 0.6]]: exponents log 0.9, log 0.6, log 0.3.
    const M = [0.9, 0.5, 0, 0, -0.3, 0.2, 0, 0, 0.6];
    const step: Cell['step'] = (hh, ho, _x, _xo, o, oo) => {
      for (let i = 0; i < 3; i++)
        o[oo + i] = M[i * 3] * hh[ho] + M[i * 3 + 1] * hh[ho + 1] + M[i * 3 + 2] * hh[ho + 2];
    };
    const withDense: Cell = {
      kind: 'lin3',
      stateSize: 3,
      inputSize: 0,
      step,
      denseJacobian: (hh, ho, _x, _xo, f, fo, j, jo) => {
        step(hh, ho, null as never, 0, f, fo);
        for (let i = 0; i < 9; i++) j[jo + i] = M[i];
      },
    };
    const plain: Cell = { kind: 'lin3', stateSize: 3, inputSize: 0, step };
    const T = 300;
    const states = new Float64Array(T * 3).fill(0.1);
    const want = [Math.log(0.9), Math.log(0.6), Math.log(0.3)];
    for (const cell of [withDense, plain]) {
      const ex = lyapunovSpectrum({ cell, states, h0: new Float64Array(3), inputs: null, burnIn: 50 });
      for (let i = 0; i < 3; i++) expect(ex[i]).toBeCloseTo(want[i], 3);
    }
    const one = lyapunovSpectrum({
      cell: withDense,
      states,
      h0: new Float64Array(3),
      inputs: null,
      burnIn: 50,
      count: 1,
    });
    expect(one).toHaveLength(1);
    expect(one[0]).toBeCloseTo(Math.log(0.9), 3);
  });
});
