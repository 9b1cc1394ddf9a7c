import { ConvergenceError, type Method, type TensorMap } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { solveAndDifferentiate, solveAndDifferentiateSync } from '../src/index.js';
import {
  elmanBptt,
  elmanCell,
  gruBptt,
  gruCell,
  relativeError,
  rng,
  sequentialStates,
  uniform,
} from './gradient-fixtures.js';

const METHODS: Method[] = ['sequential', 'jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'];

describe('solveAndDifferentiate: every method gives the BPTT gradient (exact adjoint)', () => {
  const B = 2;
  const T = 48;
  const gru = gruCell(4, 2, 70);
  const inputs = uniform(B * T * 2, 1, rng(71));
  const h0 = uniform(B * 4, 0.5, rng(72));
  const g = uniform(B * T * 4, 1, rng(73));
  const ref = gruBptt(gru.parameters as TensorMap, inputs, B, T, h0, g);

  it.each(METHODS)('GRU, %s', (method) => {
    const { gradient, solve, loss } = solveAndDifferentiateSync(gru, inputs, g, {
      method,
      batch: B,
      h0,
      atol: 1e-12,
      rtol: 0,
    });
    expect(solve.converged).toBe(true);
    expect(gradient.exact).toBe(true);
    expect(gradient.converged).toBe(true);
    for (const name of Object.keys(ref.params))
      expect(relativeError(gradient.params[name], ref.params[name]), name).toBeLessThan(1e-8);
    expect(relativeError(gradient.inputs, ref.inputs)).toBeLessThan(1e-8);
    expect(relativeError(gradient.h0, ref.h0)).toBeLessThan(1e-8);
    let direct = 0;
    for (let i = 0; i < g.length; i++) direct += g[i] * ref.states[i];
    expect(Math.abs(loss - direct)).toBeLessThan(1e-8 * Math.abs(direct));
  });

  it('Elman, quasi-deer, async entry point', async () => {
    const cell = elmanCell(5, 3, 74);
    const x = uniform(B * T * 3, 1, rng(75));
    const g5 = uniform(B * T * 5, 1, rng(76));
    const { gradient } = await solveAndDifferentiate(cell, x, g5, {
      method: 'quasi-deer',
      batch: B,
      atol: 1e-12,
      rtol: 0,
    });
    const states = sequentialStates(cell, x, B, T, null);
    const again = elmanBptt(cell, x, states, B, T, null, g5);
    for (const name of Object.keys(again.params))
      expect(relativeError(gradient.params[name], again.params[name]), name).toBeLessThan(1e-8);
  });

  it('the approximate-diagonal adjoint after quasi-DEER is labelled and far from the exact gradient', () => {
    const exact = solveAndDifferentiateSync(gru, inputs, g, {
      method: 'quasi-deer',
      batch: B,
      h0,
      atol: 1e-12,
      rtol: 0,
    });
    const approx = solveAndDifferentiateSync(gru, inputs, g, {
      method: 'quasi-deer',
      batch: B,
      h0,
      atol: 1e-12,
      rtol: 0,
      adjoint: 'approximate-diagonal',
    });
    expect(approx.gradient.exact).toBe(false);
    expect(approx.gradient.mode).toBe('approximate-diagonal');
    const err = relativeError(approx.gradient.params.weight_hh_l0, exact.gradient.params.weight_hh_l0);
    expect(err).toBeGreaterThan(1e-2);
  });

  it('an unconverged solve is refused with ConvergenceError, or reported with converged: false', () => {
    expect(() =>
      solveAndDifferentiateSync(gru, inputs, g, { method: 'quasi-deer', batch: B, h0, maxIter: 2 }),
    ).toThrow(ConvergenceError);
    const r = solveAndDifferentiateSync(gru, inputs, g, {
      method: 'quasi-deer',
      batch: B,
      h0,
      maxIter: 2,
      onUnconverged: 'report',
    });
    expect(r.solve.converged).toBe(false);
    expect(r.gradient.converged).toBe(false);
  });

  it('an autonomous cell takes null inputs', () => {
    const cell = elmanCell(3, 0, 77, 0.9);
    const h = uniform(3, 1, rng(78));
    const gg = uniform(20 * 3, 1, rng(79));
    const { gradient } = solveAndDifferentiateSync(cell, null, gg, {
      method: 'deer',
      length: 20,
      h0: h,
      atol: 1e-12,
      rtol: 0,
    });
    const states = sequentialStates(cell, new Float64Array(0), 1, 20, h);
    const ref2 = elmanBptt(cell, new Float64Array(0), states, 1, 20, h, gg);
    expect(relativeError(gradient.params.weight_hh_l0, ref2.params.weight_hh_l0)).toBeLessThan(1e-8);
    expect(relativeError(gradient.h0, ref2.h0)).toBeLessThan(1e-8);
  });
});
