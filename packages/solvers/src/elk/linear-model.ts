/**
 * The two numbers the trust-region rule compares for a trial trajectory c: the squared residual of the
 * linearised model, Σ_t ‖c_t − A_t c_{t−1} − b_t‖² (what the Levenberg–Marquardt step expects), and the
 * true squared residual Σ_t ‖c_t − f(c_{t−1}, x_t)‖².
 */
import type { Cell, FloatArray } from '@antler/core';

/** Σ_t ‖c_t − A_t c_{t−1} − b_t‖² for one sequence (c_{−1} = h0), in double. */
export function linearModelResidualSquares(
  structure: 'dense' | 'diagonal',
  n: number,
  T: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  h0: FloatArray,
  h0o: number,
  c: FloatArray,
  co: number,
): number {
  let sum = 0;
  for (let t = 0; t < T; t++) {
    const prev = t === 0 ? h0 : c;
    const po = t === 0 ? h0o : co + (t - 1) * n;
    for (let i = 0; i < n; i++) {
      let m = b[bo + t * n + i];
      if (structure === 'diagonal') {
        m += a[ao + t * n + i] * prev[po + i];
      } else {
        const row = ao + t * n * n + i * n;
        for (let j = 0; j < n; j++) m += a[row + j] * prev[po + j];
      }
      const r = c[co + t * n + i] - m;
      sum += r * r;
    }
  }
  return sum;
}

/** Σ_t ‖c_t − f(c_{t−1}, x_t)‖² for one sequence, in double (`scratch` holds n values). NaN if non-finite. */
export function trueResidualSquares(
  cell: Cell,
  T: number,
  h0: FloatArray,
  h0o: number,
  x: FloatArray,
  xo: number,
  c: FloatArray,
  co: number,
  scratch: Float64Array,
): number {
  const n = cell.stateSize;
  const m = cell.inputSize;
  let sum = 0;
  for (let t = 0; t < T; t++) {
    if (t === 0) cell.step(h0, h0o, x, xo, scratch, 0);
    else cell.step(c, co + (t - 1) * n, x, xo + t * m, scratch, 0);
    for (let i = 0; i < n; i++) {
      const r = c[co + t * n + i] - scratch[i];
      sum += r * r;
    }
  }
  return sum - sum === 0 ? sum : Number.NaN;
}
