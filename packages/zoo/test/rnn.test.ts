import { ShapeError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { createElman } from '../src/cells/elman.js';
import { createGru } from '../src/cells/gru.js';
import { expectDerivativesMatchFiniteDifferences, randn, relError, stepOf } from './helpers.js';
import { elmanRef, gruRef, nested, vec } from './reference.js';

describe('elman', () => {
  const H = 5;
  const m = 3;
  const sd = {
    weight_ih_l0: nested(H, m, 1),
    weight_hh_l0: nested(H, H, 2),
    bias_ih_l0: vec(H, 3),
    bias_hh_l0: vec(H, 4),
  };
  const h = randn(H, 10);
  const x = randn(m, 11);

  for (const nonlinearity of ['tanh', 'relu'] as const) {
    it(`${nonlinearity}: step matches an independent float64 loop; derivatives match finite differences`, () => {
      const cell = createElman({ weights: sd, nonlinearity });
      expect(cell.kind).toBe('elman');
      expect(cell.config.nonlinearity).toBe(nonlinearity);
      const act = nonlinearity === 'tanh' ? Math.tanh : (a: number) => Math.max(a, 0);
      expect(relError(stepOf(cell, h, x), elmanRef(sd, h, x, act))).toBeLessThan(1e-14);
      expectDerivativesMatchFiniteDifferences(cell, h, x);
    });
  }

  it('loads names without _l0 and { shape, data } tensors; rejects missing, misshapen and unknown tensors', () => {
    const flat = {
      weight_ih: { shape: [H, m], data: sd.weight_ih_l0.flat() },
      weight_hh: { shape: [H, H], data: sd.weight_hh_l0.flat() },
      bias_ih: sd.bias_ih_l0,
      bias_hh: sd.bias_hh_l0,
    };
    const cell = createElman({ weights: flat });
    expect(relError(stepOf(cell, h, x), elmanRef(sd, h, x, Math.tanh))).toBeLessThan(1e-14);
    expect(Array.from(cell.parameters.weight_hh_l0.data)).toEqual(sd.weight_hh_l0.flat());
    expect(() => createElman({ weights: { weight_ih_l0: sd.weight_ih_l0 } })).toThrow(ShapeError);
    expect(() => createElman({ weights: { ...sd, bias_hh_l0: vec(H + 1, 5) } })).toThrow(
      /bias_hh_l0: expected shape \[5\]/,
    );
    expect(() => createElman({ weights: { ...sd, weight_hr_l0: sd.bias_hh_l0 } })).toThrow(
      /unexpected \[weight_hr_l0\]/,
    );
    expect(() => createElman({ weights: { ...sd, weight_ih_l0: [[1, 2], [3]] } })).toThrow(ShapeError);
  });

  it('without biases (bias=False) it runs and exposes no bias parameters', () => {
    const cell = createElman({ weights: { weight_ih_l0: sd.weight_ih_l0, weight_hh_l0: sd.weight_hh_l0 } });
    expect(Object.keys(cell.parameters).sort()).toEqual(['weight_hh_l0', 'weight_ih_l0']);
    const zero = { ...sd, bias_ih_l0: vec(H, 0, 0), bias_hh_l0: vec(H, 0, 0) };
    expect(relError(stepOf(cell, h, x), elmanRef(zero, h, x, Math.tanh))).toBeLessThan(1e-14);
    expectDerivativesMatchFiniteDifferences(cell, h, x);
  });

  it('random init: PyTorch bound 1/√H times scale, deterministic per seed', () => {
    const a = createElman({ hiddenSize: 16, inputSize: 4, seed: 3 });
    const b = createElman({ hiddenSize: 16, inputSize: 4, seed: 3 });
    const c = createElman({ hiddenSize: 16, inputSize: 4, seed: 4, scale: 3 });
    expect(a.parameters.weight_hh_l0.data).toEqual(b.parameters.weight_hh_l0.data);
    const maxAbs = (d: Float64Array) => d.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
    expect(maxAbs(a.parameters.weight_hh_l0.data)).toBeLessThanOrEqual(0.25);
    expect(maxAbs(a.parameters.weight_hh_l0.data)).toBeGreaterThan(0.2);
    expect(maxAbs(c.parameters.weight_hh_l0.data)).toBeGreaterThan(0.6);
    expect(() => createElman({ hiddenSize: 0, inputSize: 2 })).toThrow(/hiddenSize/);
  });

  it('float32 storage: computes in double, rounds on store', () => {
    const cell = createElman({ weights: sd });
    const out = new Float32Array(H);
    cell.step(Float32Array.from(h), 0, Float32Array.from(x), 0, out, 0);
    const ref = elmanRef(
      sd,
      Float64Array.from(Float32Array.from(h)),
      Float64Array.from(Float32Array.from(x)),
      Math.tanh,
    );
    expect(Array.from(out)).toEqual(ref.map(Math.fround));
  });
});

describe('gru', () => {
  const H = 4;
  const m = 3;
  const h = randn(H, 20);
  const x = randn(m, 21);
  for (const variant of ['pytorch', 'flax'] as const) {
    const sd = {
      weight_ih_l0: nested(3 * H, m, 1),
      weight_hh_l0: nested(3 * H, H, 2),
      bias_ih_l0: vec(3 * H, 3),
      bias_hh_l0: vec(variant === 'flax' ? H : 3 * H, 4),
    };
    it(`${variant}: step matches an independent float64 loop; derivatives match finite differences`, () => {
      const cell = createGru({ weights: sd });
      expect(cell.config.variant).toBe(variant); // inferred from bias_hh_l0's length
      expect(relError(stepOf(cell, h, x), gruRef(sd, h, x, variant === 'flax'))).toBeLessThan(1e-14);
      expectDerivativesMatchFiniteDifferences(cell, h, x);
      // A larger state where gates saturate differently.
      const big = createGru({ hiddenSize: 7, inputSize: 2, seed: 5, scale: 4, variant });
      expectDerivativesMatchFiniteDifferences(big, randn(7, 1), randn(2, 2));
    });
  }

  it('step may write in place over h (out aliases h)', () => {
    const cell = createGru({ hiddenSize: 6, inputSize: 2, seed: 9 });
    const h0 = randn(6, 3);
    const x0 = randn(2, 4);
    const want = stepOf(cell, h0, x0);
    const buf = h0.slice();
    cell.step(buf, 0, x0, 0, buf, 0);
    expect(Array.from(buf)).toEqual(Array.from(want));
  });

  it('rejects a weight_hh that is not [3H, H]', () => {
    expect(() =>
      createGru({ weights: { weight_ih_l0: nested(6, 2, 1), weight_hh_l0: nested(6, 3, 2) } }),
    ).toThrow(/weight_hh_l0: expected shape \[3H, H\]/);
  });

  it('a sequence of steps equals the reference loop over T = 50 (float64) and stays within float32 rounding (float32)', () => {
    const sd = {
      weight_ih_l0: nested(3 * H, m, 1),
      weight_hh_l0: nested(3 * H, H, 2),
      bias_ih_l0: vec(3 * H, 3),
      bias_hh_l0: vec(3 * H, 4),
    };
    const cell = createGru({ weights: sd });
    const T = 50;
    const xs = randn(T * m, 8);
    let ref = new Float64Array(H);
    const s64 = new Float64Array((T + 1) * H);
    const s32 = new Float32Array((T + 1) * H);
    for (let t = 0; t < T; t++) {
      ref = Float64Array.from(gruRef(sd, ref, xs.subarray(t * m, (t + 1) * m), false));
      cell.step(s64, t * H, xs, t * m, s64, (t + 1) * H);
      cell.step(s32, t * H, Float32Array.from(xs), t * m, s32, (t + 1) * H);
    }
    expect(relError(s64.subarray(T * H), ref)).toBeLessThan(1e-13);
    expect(relError(s32.subarray(T * H), ref)).toBeLessThan(1e-5);
  });
});
