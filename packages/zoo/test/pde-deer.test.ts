import { solveSync } from '@antler/solvers';
import { describe, expect, it } from 'vitest';
import {
  allenCahnEquation,
  burgersEquation,
  createRandom,
  createTimeStepCell,
  fisherKppEquation,
  fitzHughNagumoEquation,
  grid1d,
  grid2d,
  heatEquation,
  type MolSystem,
  type TimeScheme,
} from '../src/index.js';
import { maxAbsDiff, sequentialRun } from './pde-helpers.js';

/** DEER's trajectory must equal plain time stepping: same step function, solved as one Newton system. */
function checkDeer(
  sys: MolSystem,
  scheme: TimeScheme,
  dt: number,
  steps: number,
  method: 'deer' | 'quasi-deer' = 'deer',
) {
  const cell = createTimeStepCell(sys, { scheme, dt });
  const rng = createRandom(31);
  const u0 = rng.fillUniform(new Float64Array(sys.size), 0.05, 0.95);
  const seq = sequentialRun(cell, u0, steps);
  const result = solveSync(cell, null, {
    method,
    length: steps,
    h0: u0,
    initialGuess: 'h0',
    atol: 1e-12,
    rtol: 0,
    maxIter: steps,
  });
  expect(result.converged).toBe(true);
  const err = maxAbsDiff(result.states, seq);
  expect(err).toBeLessThan(1e-10);
  return { iterations: result.iterations, err };
}

describe('DEER over PDE time steps equals sequential time stepping (float64, 1e-10)', () => {
  const g1 = (kind: 'dirichlet' | 'neumann' | 'periodic') =>
    grid1d(24, 1, kind === 'dirichlet' ? { kind, value: 0.2 } : { kind });
  const cases: [string, () => MolSystem, number][] = [
    ['heat (periodic)', () => heatEquation(g1('periodic'), 0.05), 1e-2],
    ['Burgers (periodic)', () => burgersEquation(g1('periodic'), 0.02), 1e-2],
    ['Allen–Cahn (Neumann)', () => allenCahnEquation(g1('neumann'), 0.05), 2e-2],
    ['Fisher–KPP (Dirichlet)', () => fisherKppEquation(g1('dirichlet'), 1e-3, 1), 5e-2],
    [
      'FitzHugh–Nagumo (Neumann)',
      () => fitzHughNagumoEquation(grid1d(12, 1, { kind: 'neumann' }), { du: 1e-3 }),
      5e-2,
    ],
  ];
  const rows: string[] = [];
  for (const [name, make, dt] of cases) {
    for (const scheme of ['euler', 'rk4', 'backward-euler', 'crank-nicolson'] as const) {
      it(`${name}, ${scheme}`, () => {
        const { iterations, err } = checkDeer(make(), scheme, dt, 40);
        rows.push(
          `${name} ${scheme}: ${iterations} DEER iterations, max |DEER − sequential| ${err.toExponential(1)}`,
        );
      });
    }
  }

  it('2-D heat (Dirichlet) and Allen–Cahn (periodic), implicit steps', () => {
    checkDeer(
      heatEquation(grid2d(5, 4, 1, 1, { kind: 'dirichlet', value: 0.5 }), 0.1),
      'crank-nicolson',
      1e-2,
      25,
    );
    checkDeer(allenCahnEquation(grid2d(4, 4, 1, 1, { kind: 'periodic' }), 0.1), 'backward-euler', 5e-2, 25);
  });

  it('forced cells (inputs [T][n]) under DEER equal sequential stepping, every scheme', () => {
    const sys = fisherKppEquation(g1('neumann'), 1e-3, 1);
    for (const scheme of ['euler', 'rk4', 'backward-euler', 'crank-nicolson'] as const) {
      const cell = createTimeStepCell(sys, { scheme, dt: 5e-2, forcing: true });
      const rng = createRandom(17);
      const u0 = rng.fillUniform(new Float64Array(sys.size), 0.1, 0.9);
      const inputs = rng.fillNormal(new Float64Array(30 * sys.size), 0, 0.1);
      const seq = new Float64Array(30 * sys.size);
      let prev: Float64Array = u0;
      for (let t = 0; t < 30; t++) {
        const next = seq.subarray(t * sys.size, (t + 1) * sys.size);
        cell.step(prev, 0, inputs, t * sys.size, next, 0);
        prev = next;
      }
      const r = solveSync(cell, inputs, { method: 'deer', h0: u0, initialGuess: 'h0', atol: 1e-12, rtol: 0 });
      expect(r.converged).toBe(true);
      expect(maxAbsDiff(r.states, seq)).toBeLessThan(1e-10);
    }
  });

  it('float32 DEER stays within float32 accuracy of the float64 sequential run', () => {
    const sys = allenCahnEquation(g1('neumann'), 0.05);
    const cell = createTimeStepCell(sys, { scheme: 'crank-nicolson', dt: 2e-2 });
    const u0 = createRandom(31).fillUniform(new Float64Array(sys.size), 0.05, 0.95);
    const seq = sequentialRun(cell, u0, 40);
    const r = solveSync(cell, null, {
      method: 'deer',
      dtype: 'float32',
      length: 40,
      h0: Float32Array.from(u0),
    });
    expect(r.states).toBeInstanceOf(Float32Array);
    expect(r.converged).toBe(true);
    expect(maxAbsDiff(r.states, seq)).toBeLessThan(1e-5);
  });

  it('quasi-DEER (direct diagonal of the Euler step) reaches the same trajectory', () => {
    const { iterations } = checkDeer(allenCahnEquation(g1('neumann'), 0.05), 'euler', 1e-2, 40, 'quasi-deer');
    rows.push(`Allen–Cahn euler quasi-DEER: ${iterations} iterations`);
    console.log(rows.join('\n'));
  });
});
