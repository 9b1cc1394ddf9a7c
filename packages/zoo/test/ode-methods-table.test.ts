/**
 * Every solveIVP method on the two NeuralODE fields against dopri5 at 1e-12: asserts accuracy and
 * convergence, prints wall times (never asserted). `ANTLER_TIMING=1` runs the README's table
 * (T = 1001, median of 3); the default is a light run (T = 201, one repeat).
 */
import { type IvpMethod, type OdeDiscretisation, solveIVP } from '@antler/solvers';
import { describe, expect, it } from 'vitest';
import { createHamiltonianVectorField, createMlpVectorField } from '../src/index.js';

function median(f: () => void, reps = 3): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    f();
    ts.push(performance.now() - s);
  }
  return ts.sort((a, b) => a - b)[reps >> 1];
}

const full = !!process.env.ANTLER_TIMING;
const T = full ? 1001 : 201;

describe(`solveIVP methods on NeuralODE fields (T = ${T} on [0, 5], float64)`, () => {
  const cases = [
    ['MLP n = 8, [32, 32] tanh', createMlpVectorField({ stateSize: 8, hidden: [32, 32], seed: 1 })],
    [
      'Hamiltonian n = 4, [32, 32] softplus',
      createHamiltonianVectorField({ stateSize: 4, hidden: [32, 32], seed: 1 }),
    ],
  ] as const;
  const methods: [
    string,
    { method: IvpMethod; discretisation?: OdeDiscretisation; atol?: number; rtol?: number },
    number,
  ][] = [
    ['dopri5 (tol 1e-8)', { method: 'dopri5', atol: 1e-8, rtol: 1e-8 }, 1e-6],
    ['rk4', { method: 'rk4' }, 1e-8],
    ['deer (Hermite, order 4)', { method: 'deer' }, 1e-8],
    ['deer (trapezoid, order 2)', { method: 'deer', discretisation: 'exponential-trapezoid' }, 1e-5],
    ['quasi-deer (order 2)', { method: 'quasi-deer' }, 1e-5],
    ['elk (Hermite)', { method: 'elk' }, 1e-8],
    ['quasi-elk (order 2)', { method: 'quasi-elk' }, 1e-5],
  ];
  it('every method converges to the dopri5(1e-12) trajectory within its discretisation error', () => {
    const rows = [
      '| field | method | time | iterations | max error vs dopri5(1e-12) |',
      '|---|---|---|---|---|',
    ];
    for (const [name, field] of cases) {
      const n = field.stateSize;
      const times = Float64Array.from({ length: T }, (_, i) => (5 * i) / (T - 1));
      const y0 = Array.from({ length: n }, (_, i) => 0.3 * Math.sin(i + 1));
      const ref = solveIVP(field, y0, times, null, { method: 'dopri5', atol: 1e-12, rtol: 1e-12 });
      for (const [label, options, bound] of methods) {
        let r = solveIVP(field, y0, times, null, options);
        const ms = median(
          () => {
            r = solveIVP(field, y0, times, null, options);
          },
          full ? 3 : 1,
        );
        let err = 0;
        for (let i = 0; i < ref.states.length; i++)
          err = Math.max(err, Math.abs(r.states[i] - ref.states[i]));
        expect(r.converged).toBe(true);
        expect(err).toBeLessThan(bound);
        rows.push(`| ${name} | ${label} | ${ms.toFixed(1)} ms | ${r.iterations} | ${err.toExponential(1)} |`);
      }
    }
    console.log(rows.join('\n'));
  });
});
