import { ShapeError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { createArGru } from '../src/cells/ar-gru.js';
import { customCell } from '../src/cells/custom.js';
import { createLorenz96 } from '../src/cells/lorenz96.js';
import { createLstm } from '../src/cells/lstm.js';
import { createMinGru, createMinLstm } from '../src/cells/min-rnn.js';
import { createParaGru, createParaLstm } from '../src/cells/para-rnn.js';
import { expectDerivativesMatchFiniteDifferences, fdJacobian, randn, relError, stepOf } from './helpers.js';
import { diagMatrix, dot, gruRef, lstmRef, nested, sig, vec } from './reference.js';

describe('lstm', () => {
  const H = 4;
  const m = 3;
  const sd = {
    weight_ih_l0: nested(4 * H, m, 1),
    weight_hh_l0: nested(4 * H, H, 2),
    bias_ih_l0: vec(4 * H, 3),
    bias_hh_l0: vec(4 * H, 4),
  };
  it('step on state [h, c] matches an independent loop; derivatives match finite differences', () => {
    const cell = createLstm({ weights: sd });
    expect(cell.stateSize).toBe(2 * H);
    const s = randn(2 * H, 5);
    const x = randn(m, 6);
    const ref = lstmRef(sd, s.subarray(0, H), s.subarray(H), x);
    expect(relError(stepOf(cell, s, x), [...ref.h, ...ref.c])).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, s, x);
    expectDerivativesMatchFiniteDifferences(
      createLstm({ hiddenSize: 6, inputSize: 2, seed: 3, scale: 3 }),
      randn(12, 1),
      randn(2, 2),
    );
  });
  it('rejects weight_hh that is not [4H, H]', () => {
    expect(() => createLstm({ weights: { ...sd, weight_hh_l0: nested(3 * H, H, 2) } })).toThrow(
      /weight_hh_l0: expected shape \[4H, H\]/,
    );
  });
});

describe('mingru / minlstm', () => {
  const H = 5;
  const m = 3;
  const h = randn(H, 1);
  const x = randn(m, 2);
  it('mingru: h′ = (1 − z) h + z h̃ with an input-only diagonal Jacobian', () => {
    const w = nested(2 * H, m, 3);
    const b = vec(2 * H, 4);
    const cell = createMinGru({ weights: { weight_ih: w, bias_ih: b } });
    const ref = Array.from({ length: H }, (_, i) => {
      const z = sig(dot(w[i], x) + b[i]);
      return (1 - z) * h[i] + z * (dot(w[H + i], x) + b[H + i]);
    });
    expect(relError(stepOf(cell, h, x), ref)).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, h, x);
    // The Jacobian does not depend on h: linear in the state.
    const j1 = fdJacobian(cell, h, x, 'h');
    const j2 = fdJacobian(cell, randn(H, 9, 3), x, 'h');
    expect(relError(j1, j2)).toBeLessThan(1e-8);
  });
  it('minlstm: h′ = f/(f+i) h + i/(f+i) h̃', () => {
    const w = nested(3 * H, m, 5);
    const b = vec(3 * H, 6);
    const cell = createMinLstm({ weights: { weight_ih_l0: w, bias_ih_l0: b } });
    const ref = Array.from({ length: H }, (_, i) => {
      const f = sig(dot(w[i], x) + b[i]);
      const ii = sig(dot(w[H + i], x) + b[H + i]);
      return (f / (f + ii)) * h[i] + (ii / (f + ii)) * (dot(w[2 * H + i], x) + b[2 * H + i]);
    });
    expect(relError(stepOf(cell, h, x), ref)).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, h, x);
    expectDerivativesMatchFiniteDifferences(
      createMinLstm({ hiddenSize: 4, inputSize: 2, seed: 1 }),
      randn(4, 3),
      randn(2, 4),
    );
  });
});

describe('para-gru / para-lstm', () => {
  const H = 4;
  const m = 2;
  it('para-gru equals a PyTorch GRU whose W_hh blocks are diagonal; exact diagonal Jacobian', () => {
    const d = vec(3 * H, 7, 1);
    const sd = {
      weight_ih_l0: nested(3 * H, m, 1),
      weight_hh_l0: d,
      bias_ih_l0: vec(3 * H, 3),
      bias_hh_l0: vec(3 * H, 4),
    };
    const cell = createParaGru({ weights: sd });
    const dense = {
      ...sd,
      weight_hh_l0: [...diagMatrix(d, 0, H), ...diagMatrix(d, H, H), ...diagMatrix(d, 2 * H, H)],
    };
    const h = randn(H, 5);
    const x = randn(m, 6);
    expect(relError(stepOf(cell, h, x), gruRef(dense, h, x, false))).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, h, x);
    const jac = fdJacobian(cell, h, x, 'h');
    for (let i = 0; i < H; i++)
      for (let j = 0; j < H; j++) if (i !== j) expect(Math.abs(jac[i * H + j])).toBeLessThan(1e-12);
  });
  it('para-lstm equals an LSTM with diagonal W_hh on the interleaved state; exact 2×2 blocks', () => {
    const d = vec(4 * H, 8, 1);
    const sd = {
      weight_ih_l0: nested(4 * H, m, 1),
      weight_hh_l0: d,
      bias_ih_l0: vec(4 * H, 3),
      bias_hh_l0: vec(4 * H, 4),
    };
    const cell = createParaLstm({ weights: sd });
    expect(cell.blockSize).toBe(2);
    const dense = { ...sd, weight_hh_l0: [0, 1, 2, 3].flatMap((g) => diagMatrix(d, g * H, H)) };
    const s = randn(2 * H, 5);
    const x = randn(m, 6);
    const hs = Array.from({ length: H }, (_, p) => s[2 * p]);
    const cs = Array.from({ length: H }, (_, p) => s[2 * p + 1]);
    const ref = lstmRef(dense, hs, cs, x);
    const want = ref.h.flatMap((hv, p) => [hv, ref.c[p]]);
    expect(relError(stepOf(cell, s, x), want)).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, s, x);
    const jac = fdJacobian(cell, s, x, 'h');
    const n = 2 * H;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (i >> 1 !== j >> 1) expect(Math.abs(jac[i * n + j])).toBeLessThan(1e-12);
  });
  it('rejects a dense weight_hh', () => {
    expect(() =>
      createParaGru({ weights: { weight_ih_l0: nested(6, 1, 1), weight_hh_l0: nested(6, 2, 1) } }),
    ).toThrow(/stacked diagonals/);
  });
});

describe('ar-gru', () => {
  it('h′ = GRU(h, y), y′ = μ + softplus(ρ) ε, matching a reference; derivatives match finite differences', () => {
    const H = 3;
    for (const variant of ['flax', 'pytorch'] as const) {
      const cell = createArGru({ seed: 4, variant });
      expect(cell.stateSize).toBe(H + 1);
      const p = cell.parameters;
      const toNested = (name: string, rows: number) =>
        Array.from({ length: rows }, (_, i) =>
          Array.from(
            p[name].data.subarray((i * p[name].data.length) / rows, ((i + 1) * p[name].data.length) / rows),
          ),
        );
      const sd = {
        weight_ih_l0: toNested('weight_ih_l0', 3 * H),
        weight_hh_l0: toNested('weight_hh_l0', 3 * H),
        bias_ih_l0: Array.from(p.bias_ih_l0.data),
        bias_hh_l0: Array.from(p.bias_hh_l0.data),
      };
      const s = randn(H + 1, 5);
      const eps = Float64Array.of(0.7);
      const hNew = gruRef(sd, s.subarray(0, H), s.subarray(H), variant === 'flax');
      const hw = toNested('head.weight', 2);
      const mu = dot(hw[0], hNew) + p['head.bias'].data[0];
      const rho = dot(hw[1], hNew) + p['head.bias'].data[1];
      const y = mu + Math.log(1 + Math.exp(rho)) * eps[0];
      expect(relError(stepOf(cell, s, eps), [...hNew, y])).toBeLessThan(1e-14);
      expectDerivativesMatchFiniteDifferences(cell, s, eps);
      // Rebuilt from its own parameters as a state dict, it is the same cell.
      const again = createArGru({
        weights: { ...sd, 'head.weight': hw, 'head.bias': Array.from(p['head.bias'].data) },
        variant,
      });
      expect(Array.from(stepOf(again, s, eps))).toEqual(Array.from(stepOf(cell, s, eps)));
    }
  });
});

describe('lorenz96', () => {
  /** Independent RK4 of Lorenz-96. */
  function rk4Ref(x: number[], F: number, dt: number): number[] {
    const D = x.length;
    const f = (v: number[]) =>
      v.map((_, i) => (v[(i + 1) % D] - v[(i - 2 + D) % D]) * v[(i - 1 + D) % D] - v[i] + F);
    const add = (a: number[], b: number[], c: number) => a.map((ai, i) => ai + c * b[i]);
    const k1 = f(x);
    const k2 = f(add(x, k1, dt / 2));
    const k3 = f(add(x, k2, dt / 2));
    const k4 = f(add(x, k3, dt));
    return x.map((xi, i) => xi + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  for (const D of [4, 5, 12, 13, 40]) {
    it(`D = ${D}: RK4 step matches a reference; banded Jacobian (dense, diagonal) and VJP incl. ∂/∂F match finite differences`, () => {
      const dt = 0.05;
      const cell = createLorenz96({ size: D, forcing: 8, dt });
      const x = randn(D, D, 3);
      const empty = new Float64Array(0);
      expect(relError(stepOf(cell, x, empty), rk4Ref(Array.from(x), 8, dt))).toBeLessThan(1e-14);
      expectDerivativesMatchFiniteDifferences(cell, x, empty);
    });
  }
  it('a long trajectory stays on the reference (T = 200) and rejects bad options', () => {
    const cell = createLorenz96({ size: 10, forcing: 8, dt: 0.01 });
    let ref = Array.from(randn(10, 1));
    const s = Float64Array.from(ref);
    for (let t = 0; t < 200; t++) {
      ref = rk4Ref(ref, 8, 0.01);
      cell.step(s, 0, s, 0, s, 0);
    }
    expect(relError(s, ref)).toBeLessThan(1e-12);
    expect(() => createLorenz96({ size: 3 })).toThrow(ShapeError);
    expect(() => createLorenz96({ size: 8, dt: -1 })).toThrow(/options.dt/);
    expect(createLorenz96({ size: 8, weights: { forcing: [5] } }).parameters.forcing.data[0]).toBe(5);
  });
});

describe('customCell', () => {
  it('runs the DEER paper doctest recurrence y_t = y²_{t−1} + 0.5 x_t (golden case C)', () => {
    const cell = customCell({
      stateSize: 1,
      inputSize: 1,
      step: (h, ho, x, xo, out, oo) => {
        out[oo] = h[ho] * h[ho] + 0.5 * x[xo];
      },
      diagonalJacobian: (h, ho, x, xo, f, fo, d, dgo) => {
        f[fo] = h[ho] * h[ho] + 0.5 * x[xo];
        d[dgo] = 2 * h[ho];
      },
    });
    expect(cell.kind).toBe('custom');
    const golden = [
      0, 0.05555556, 0.11419753, 0.17970774, 0.2545171, 0.34255673, 0.45067845, 0.59199995, 0.79490839,
      1.13187934,
    ];
    const y = new Float64Array(11);
    for (let t = 0; t < 10; t++) cell.step(y, t, Float64Array.of(t / 9), 0, y, t + 1);
    for (let t = 0; t < 10; t++) expect(y[t + 1]).toBeCloseTo(golden[t], 7);
    expectDerivativesMatchFiniteDifferences(cell, Float64Array.of(0.3), Float64Array.of(0.2));
  });
  it('rejects missing step, bad sizes and a block size that does not divide n', () => {
    const step = () => {};
    expect(() => customCell({ stateSize: 2, inputSize: 1 } as never)).toThrow(/spec.step/);
    expect(() => customCell({ stateSize: 0, inputSize: 1, step })).toThrow(/spec.stateSize/);
    expect(() => customCell({ stateSize: 3, inputSize: 1, step, blockJacobian: step, blockSize: 2 })).toThrow(
      /spec.blockSize/,
    );
  });
});
