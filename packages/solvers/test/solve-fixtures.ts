/**
 * Test fixtures for the solver tests: the golden-case cells of /work/shared/reference/cases.md written
 * from their equations, a plain float64 sequential loop, and error measures. Nothing here calls the solvers.
 */
import type { Cell, FloatArray } from '@antler/core';

/** Case A: f(s) = tanh(R s), R the rotation by θ, n = 2, no input. */
export function rotationTanhCell(theta = 0.01): Cell {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const R = [c, s, -s, c];
  const pre = (h: FloatArray, ho: number, i: number): number => R[i * 2] * h[ho] + R[i * 2 + 1] * h[ho + 1];
  return {
    kind: 'rotation-tanh',
    stateSize: 2,
    inputSize: 0,
    step(h, ho, _x, _xo, o, oo) {
      const a = Math.tanh(pre(h, ho, 0));
      const b = Math.tanh(pre(h, ho, 1));
      o[oo] = a;
      o[oo + 1] = b;
    },
    denseJacobian(h, ho, _x, _xo, f, fo, j, jo) {
      for (let i = 0; i < 2; i++) {
        const y = Math.tanh(pre(h, ho, i));
        f[fo + i] = y;
        j[jo + i * 2] = (1 - y * y) * R[i * 2];
        j[jo + i * 2 + 1] = (1 - y * y) * R[i * 2 + 1];
      }
    },
    diagonalJacobian(h, ho, _x, _xo, f, fo, d, dO) {
      for (let i = 0; i < 2; i++) {
        const y = Math.tanh(pre(h, ho, i));
        f[fo + i] = y;
        d[dO + i] = (1 - y * y) * R[i * 3];
      }
    },
  };
}

/** Case B's weight matrix. */
export const CASE_B_W = [
  0, -0.2288123351, 1.1092445689, 0.1816923326, 0, 0.6263010069, 2.2585943312, 1.640392347, 0,
];

/** Case B: s_t = W tanh(s_{t−1}) + u_t, n = 3, input u_t (m = 3). */
export function unstableTanhCell(W: readonly number[] = CASE_B_W): Cell {
  const n = 3;
  return {
    kind: 'unstable-tanh',
    stateSize: n,
    inputSize: n,
    step(h, ho, x, xo, o, oo) {
      const th = [Math.tanh(h[ho]), Math.tanh(h[ho + 1]), Math.tanh(h[ho + 2])];
      for (let i = 0; i < n; i++)
        o[oo + i] = W[i * 3] * th[0] + W[i * 3 + 1] * th[1] + W[i * 3 + 2] * th[2] + x[xo + i];
    },
    denseJacobian(h, ho, x, xo, f, fo, j, jo) {
      const th = [Math.tanh(h[ho]), Math.tanh(h[ho + 1]), Math.tanh(h[ho + 2])];
      for (let i = 0; i < n; i++) {
        f[fo + i] = W[i * 3] * th[0] + W[i * 3 + 1] * th[1] + W[i * 3 + 2] * th[2] + x[xo + i];
        for (let c = 0; c < n; c++) j[jo + i * n + c] = W[i * 3 + c] * (1 - th[c] * th[c]);
      }
    },
    diagonalJacobian(h, ho, x, xo, f, fo, d, dO) {
      const th = [Math.tanh(h[ho]), Math.tanh(h[ho + 1]), Math.tanh(h[ho + 2])];
      for (let i = 0; i < n; i++) {
        f[fo + i] = W[i * 3] * th[0] + W[i * 3 + 1] * th[1] + W[i * 3 + 2] * th[2] + x[xo + i];
        d[dO + i] = W[i * 3 + i] * (1 - th[i] * th[i]);
      }
    },
  };
}

/** Case B's inputs u_t = 0.1 sin(t·[0.5, 1, 1.5]), t = 0 … 31, as `[T][3]`. */
export function caseBInputs(T = 32): Float64Array {
  const u = new Float64Array(T * 3);
  for (let t = 0; t < T; t++) for (let i = 0; i < 3; i++) u[t * 3 + i] = 0.1 * Math.sin(t * 0.5 * (i + 1));
  return u;
}

/** Case C: y_t = y_{t−1}² + 0.5 x_t, n = m = 1, with its derivative 2y. */
export const squareCell: Cell = {
  kind: 'square',
  stateSize: 1,
  inputSize: 1,
  step(h, ho, x, xo, o, oo) {
    o[oo] = h[ho] * h[ho] + 0.5 * x[xo];
  },
  denseJacobian(h, ho, x, xo, f, fo, j, jo) {
    f[fo] = h[ho] * h[ho] + 0.5 * x[xo];
    j[jo] = 2 * h[ho];
  },
  diagonalJacobian(h, ho, x, xo, f, fo, j, jo) {
    f[fo] = h[ho] * h[ho] + 0.5 * x[xo];
    j[jo] = 2 * h[ho];
  },
};

/** Plain float64 sequential loop over a batch: `[B][T][n]` states from `[B][n]` (or `[n]`) h0. */
export function sequentialReference(
  cell: Cell,
  inputs: FloatArray | null,
  B: number,
  T: number,
  h0?: FloatArray,
): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const out = new Float64Array(B * T * n);
  const x = inputs ?? new Float64Array(0);
  const prev = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) prev[i] = h0 ? (h0.length === n ? h0[i] : h0[b * n + i]) : 0;
    for (let t = 0; t < T; t++) {
      cell.step(prev, 0, x, (b * T + t) * m, out, (b * T + t) * n);
      for (let i = 0; i < n; i++) prev[i] = out[(b * T + t) * n + i];
    }
  }
  return out;
}

/** max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}
