/**
 * Exact gradients through the fixed point for every zoo cell that has a VJP, with every method that can
 * solve it: equal to backpropagation through time (a plain reverse loop written here) and to central
 * finite differences of the sequential loop.
 */
import type { Cell, Method } from '@antler/core';
import { createRandom, solveAndDifferentiateSync } from '@antler/solvers';
import { CELL_KINDS, randomCell } from '@antler/zoo';
import { describe, expect, it } from 'vitest';

function sequential(cell: Cell, x: Float64Array, B: number, T: number, h0: Float64Array): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const s = new Float64Array(B * T * n);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const k = b * T + t;
      if (t === 0) cell.step(h0, b * n, x, k * m, s, k * n);
      else cell.step(s, (k - 1) * n, x, k * m, s, k * n);
    }
  }
  return s;
}

/** BPTT: λ_T = g_T; for t = T … 1 the cell's VJP at (s_{t−1}, x_t) with cotangent λ_t; λ_{t−1} = g_{t−1} + its h-part. */
function bptt(
  cell: Cell,
  x: Float64Array,
  s: Float64Array,
  B: number,
  T: number,
  h0: Float64Array,
  g: Float64Array,
) {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const params: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(cell.parameters ?? {})) params[k] = new Float64Array(v.data.length);
  const gx = new Float64Array(B * T * m);
  const gh0 = new Float64Array(B * n);
  for (let b = 0; b < B; b++) {
    let lam = g.slice((b * T + T - 1) * n, (b * T + T) * n);
    for (let t = T - 1; t >= 0; t--) {
      const k = b * T + t;
      const prev = new Float64Array(n);
      const [h, ho] = t === 0 ? [h0, b * n] : [s, (k - 1) * n];
      cell.vjp?.(h, ho, x, k * m, lam, 0, prev, 0, gx, k * m, params);
      if (t === 0) gh0.set(prev, b * n);
      else {
        for (let i = 0; i < n; i++) prev[i] += g[(k - 1) * n + i];
        lam = prev;
      }
    }
  }
  return { params, inputs: gx, h0: gh0 };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-300;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

const KINDS = CELL_KINDS.filter((k) => randomCell(k, { hiddenSize: 4, inputSize: 2, seed: 0 }).vjp);

describe.each(KINDS)('zoo %s', (kind) => {
  const cell = randomCell(kind, { hiddenSize: 4, inputSize: 2, seed: 11 });
  const n = cell.stateSize;
  const m = cell.inputSize;
  const B = 2;
  const T = 40;
  const r = createRandom(12);
  const x = Float64Array.from({ length: B * T * m }, () => r.normal());
  const h0 = Float64Array.from({ length: B * n }, () => 0.3 * r.normal());
  const g = Float64Array.from({ length: B * T * n }, () => r.normal());
  const states = sequential(cell, x, B, T, h0);
  const ref = bptt(cell, x, states, B, T, h0, g);
  const methods: Method[] = ['sequential', 'jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'];
  if (cell.blockJacobian && cell.blockSize) methods.push('block-deer');

  it.each(methods)('%s + exact adjoint equals BPTT to 1e-8', (method) => {
    const { gradient, solve } = solveAndDifferentiateSync(cell, x, g, {
      method,
      batch: B,
      h0,
      atol: 1e-12,
      rtol: 0,
      length: T,
    });
    expect(solve.converged).toBe(true);
    expect(gradient.exact).toBe(true);
    // The cell's vjp reproduces its dense Jacobian's transpose products.
    if (gradient.path === 'dense-reverse-scan') expect(gradient.jacobianVjpMismatch).toBeLessThan(1e-10);
    for (const name of Object.keys(ref.params))
      expect(relErr(gradient.params[name], ref.params[name]), name).toBeLessThan(1e-8);
    if (m > 0) expect(relErr(gradient.inputs, ref.inputs)).toBeLessThan(1e-8);
    expect(relErr(gradient.h0, ref.h0)).toBeLessThan(1e-8);
  });

  it('a float32 forward solve (float64 adjoint at the rounded trajectory) stays within 1e-3 of BPTT', () => {
    const { gradient, solve } = solveAndDifferentiateSync(cell, x, g, {
      method: 'deer',
      dtype: 'float32',
      batch: B,
      h0,
      length: T,
    });
    expect(solve.dtype).toBe('float32');
    expect(gradient.params[Object.keys(ref.params)[0]]).toBeInstanceOf(Float64Array);
    for (const name of Object.keys(ref.params))
      expect(relErr(gradient.params[name], ref.params[name]), name).toBeLessThan(1e-3);
  });

  it('agrees with central finite differences of L = Σ⟨g, s⟩', () => {
    const { gradient } = solveAndDifferentiateSync(cell, x, g, {
      method: 'deer',
      batch: B,
      h0,
      atol: 1e-12,
      rtol: 0,
      length: T,
    });
    const loss = (): number => {
      const s = sequential(cell, x, B, T, h0);
      let l = 0;
      for (let i = 0; i < s.length; i++) l += g[i] * s[i];
      return l;
    };
    const probe = (arr: Float64Array, idx: number): number => {
      const v = arr[idx];
      const eps = 1e-6 * Math.max(1, Math.abs(v));
      arr[idx] = v + eps;
      const up = loss();
      arr[idx] = v - eps;
      const down = loss();
      arr[idx] = v;
      return (up - down) / (2 * eps);
    };
    for (const [name, t] of Object.entries(cell.parameters ?? {})) {
      for (const idx of [0, t.data.length - 1]) {
        const fd = probe(t.data, idx);
        expect(Math.abs(gradient.params[name][idx] - fd), `${name}[${idx}]`).toBeLessThan(
          1e-6 * Math.max(1, Math.abs(fd)),
        );
      }
    }
    const fdh = probe(h0, 1);
    expect(Math.abs(gradient.h0[1] - fdh)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fdh)));
  });
});

it('the zoo has Elman and GRU among the differentiable cells', () => {
  expect(KINDS).toEqual(expect.arrayContaining(['elman', 'gru']));
});
