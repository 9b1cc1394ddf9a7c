import type { Cell } from '@antler/core';

/** Plain sequential time stepping of a cell with no inputs: T states after h0, [T][n]. */
export function sequentialRun(cell: Cell, h0: Float64Array, steps: number): Float64Array {
  const n = cell.stateSize;
  const out = new Float64Array(steps * n);
  const none = new Float64Array(0);
  let prev = h0;
  for (let t = 0; t < steps; t++) {
    const next = out.subarray(t * n, (t + 1) * n);
    cell.step(prev, 0, none, 0, next, 0);
    prev = next;
  }
  return out;
}

/** Central-difference Jacobian of g at u, row-major. */
export function fdJacobian(g: (u: Float64Array) => Float64Array, u: Float64Array, h = 1e-6): Float64Array {
  const n = u.length;
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const up = Float64Array.from(u);
    const um = Float64Array.from(u);
    up[j] += h;
    um[j] -= h;
    const gp = g(up);
    const gm = g(um);
    for (let i = 0; i < n; i++) out[i * n + j] = (gp[i] - gm[i]) / (2 * h);
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
