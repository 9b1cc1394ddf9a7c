import { solveSync } from '@antler/solvers';
import { describe, expect, it } from 'vitest';
import { createLorenz96 } from '../src/index.js';

// Lorenz-96 started just off its unstable fixed point x = F: the residual of a DEER iterate can fall
// below tolerance while the trajectory is far from the true one (the dynamics amplify small residuals).
// A solver that stops on the residual alone then reports `converged: true` for a wrong answer.
describe('honest convergence on an unstable system (Lorenz-96 near x = F)', () => {
  const D = 8;
  const T = 300;
  const cell = createLorenz96({ size: D, forcing: 8, dt: 0.01 });
  const h0 = new Float64Array(D).fill(8);
  h0[0] += 0.01;

  // Independent reference: the plain sequential loop.
  const reference = new Float64Array(T * D);
  const prev = Float64Array.from(h0);
  const out = new Float64Array(D);
  const none = new Float64Array(0);
  for (let t = 0; t < T; t++) {
    cell.step(prev, 0, none, 0, out, 0);
    reference.set(out, t * D);
    prev.set(out);
  }

  for (const method of ['deer', 'quasi-deer', 'jacobi'] as const) {
    it(`${method}: converged implies the trajectory is within tolerance of the sequential one`, () => {
      const r = solveSync(cell, null, { method, length: T, h0, maxIter: 60 });
      let err = 0;
      for (let i = 0; i < reference.length; i++) err = Math.max(err, Math.abs(r.states[i] - reference[i]));
      if (r.converged) {
        // Default float64 tolerance atol 1e-6 + rtol 1e-4·|s| with |s| ≲ 15, amplified at most mildly.
        expect(err).toBeLessThan(1e-2);
      } else {
        expect(r.events.some((e) => e.kind === 'max-iterations' || e.kind === 'non-finite')).toBe(true);
      }
    });
  }
});
