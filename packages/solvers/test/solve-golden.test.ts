import type { Method, SolveOptions } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { type AccelerationOptions, solveSync } from '../src/index.js';
import {
  caseBInputs,
  maxAbsDiff,
  rotationTanhCell,
  sequentialReference,
  squareCell,
  unstableTanhCell,
} from './solve-fixtures.js';

/** Max error vs the sequential reference after exactly k iterations, k = 1 … K. */
function errorsByIteration(
  run: (k: number) => ArrayLike<number>,
  ref: ArrayLike<number>,
  K: number,
): number[] {
  const out: number[] = [];
  for (let k = 1; k <= K; k++) out.push(maxAbsDiff(run(k), ref));
  return out;
}

const firstBelow = (errs: number[], tol: number): number => errs.findIndex((e) => e < tol) + 1;

/** Plain quasi-DEER, as in the reference (stated explicitly: the solver can add Anderson acceleration). */
const plainQuasi = { method: 'quasi-deer', acceleration: 'none' } as SolveOptions & AccelerationOptions;
/** quasi-DEER with Anderson acceleration. */
const accelerated = { method: 'quasi-deer', acceleration: 'anderson' } as SolveOptions & AccelerationOptions;

describe('golden case A: rotation-tanh, n = 2, T = 8', () => {
  const cell = rotationTanhCell();
  const h0 = new Float64Array([1, 0]);
  const ref = sequentialReference(cell, null, 1, 8, h0);
  const base: SolveOptions = { length: 8, h0, atol: 0, rtol: 0 };

  it('sequential reference matches the printed s_1 and s_8', () => {
    expect(ref[0]).toBeCloseTo(0.76157316, 8);
    expect(ref[1]).toBeCloseTo(-0.0099995, 7);
    expect(ref[14]).toBeCloseTo(0.39023233, 8);
    expect(ref[15]).toBeCloseTo(-0.04792324, 8);
  });

  const table: [string, SolveOptions, number[], number][] = [
    ['DEER', { method: 'deer' }, [3.688e-1, 8.678e-2, 2.794e-3], 5],
    // The reference's plain quasi-DEER (without the default Anderson acceleration).
    ['quasi-DEER', plainQuasi, [3.711e-1, 8.795e-2, 2.66e-3], 7],
    [
      'ELK-filter σ²=1e2',
      { method: 'elk', elk: { variant: 'filter', lambda: 1e-2 } },
      [1.879e-1, 4.096e-2, 3.553e-3],
      9,
    ],
    [
      'quasi-ELK-filter σ²=1e2',
      { method: 'quasi-elk', elk: { variant: 'filter', lambda: 1e-2 } },
      [1.886e-1, 4.196e-2, 3.604e-3],
      11,
    ],
  ];
  it('quasi-DEER with Anderson acceleration reaches 1e-10 at iteration 8 (plain: 7; T = 8 leaves nothing to accelerate)', () => {
    const errs = errorsByIteration(
      (k) => solveSync(cell, null, { ...base, ...accelerated, maxIter: k }).states,
      ref,
      14,
    );
    expect(firstBelow(errs, 1e-10)).toBeGreaterThan(0);
    expect(firstBelow(errs, 1e-10)).toBeLessThanOrEqual(8);
  });

  for (const [name, opts, first3, toTol] of table) {
    it(`${name}: errors after iterations 1–3 and iterations to 1e-10`, () => {
      const errs = errorsByIteration(
        (k) => solveSync(cell, null, { ...base, ...opts, maxIter: k }).states,
        ref,
        14,
      );
      for (let i = 0; i < 3; i++)
        expect(errs[i]).toBeCloseTo(first3[i], -Math.floor(Math.log10(first3[i])) + 3);
      expect(Math.abs(firstBelow(errs, 1e-10) - toTol)).toBeLessThanOrEqual(1);
    });
  }

  it('ELK-filter σ² = 1 is over-damped: not below 1e-10 in 40 iterations, and says so', () => {
    const r = solveSync(cell, null, {
      ...base,
      method: 'elk',
      elk: { variant: 'filter', lambda: 1 },
      maxIter: 3,
    });
    expect(maxAbsDiff(r.states, ref)).toBeCloseTo(4.011e-1, 3);
    const r40 = solveSync(cell, null, {
      ...base,
      method: 'elk',
      elk: { variant: 'filter', lambda: 1 },
      maxIter: 40,
    });
    expect(maxAbsDiff(r40.states, ref)).toBeGreaterThan(1e-10);
    expect(r40.converged).toBe(false);
    expect(r40.events.some((e) => e.kind === 'max-iterations')).toBe(true);
  });

  it('first iterates of ELK-filter and quasi-ELK-filter σ² = 1e2 match the printed values', () => {
    const e = solveSync(cell, null, {
      ...base,
      method: 'elk',
      elk: { variant: 'filter', lambda: 1e-2 },
      maxIter: 1,
    }).states;
    const want = [0.7540328283, -0.0099004951, 0.7391855984, -0.0170998978, 0.7177936375, -0.0237887073];
    for (let i = 0; i < 6; i++) expect(e[i]).toBeCloseTo(want[i], 9);
    const q = solveSync(cell, null, {
      ...base,
      method: 'quasi-elk',
      elk: { variant: 'filter', lambda: 1e-2 },
      maxIter: 1,
    }).states;
    expect(q[2]).toBeCloseTo(0.7392833876, 9);
    expect(q[3]).toBeCloseTo(-0.0097068341, 9);
  });

  it('every method converges to the sequential trajectory with the residual rule', () => {
    const methods: Method[] = ['sequential', 'jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'];
    for (const method of methods) {
      const r = solveSync(cell, null, { length: 8, h0, method, atol: 1e-12, rtol: 0, maxIter: 60 });
      expect(r.converged, method).toBe(true);
      expect(maxAbsDiff(r.states, ref), method).toBeLessThan(1e-10);
    }
  });
});

describe('golden case B: unstable tanh RNN, n = 3, T = 32', () => {
  const cell = unstableTanhCell();
  const h0 = new Float64Array([0.5, -0.3, 0.1]);
  const u = caseBInputs();
  const ref = sequentialReference(cell, u, 1, 32, h0);
  const base: SolveOptions = { h0, atol: 0, rtol: 0 };

  it('sequential reference matches the printed values', () => {
    expect(ref[0]).toBeCloseTo(0.1772121008, 9);
    expect(ref[1]).toBeCloseTo(0.1463853096, 9);
    expect(ref[2]).toBeCloseTo(0.5658682117, 9);
    expect(ref[3]).toBeCloseTo(0.5829714249, 9);
    expect(Math.max(...ref.map(Math.abs))).toBeCloseTo(2.8646366514, 9);
  });

  it('DEER: iterates reach ~1e8 yet the error is < 1e-8 at iteration 5 (±1)', () => {
    const errs = errorsByIteration(
      (k) => solveSync(cell, u, { ...base, method: 'deer', maxIter: k }).states,
      ref,
      8,
    );
    expect(Math.abs(firstBelow(errs, 1e-8) - 5)).toBeLessThanOrEqual(1);
    let peak = 0;
    for (let k = 1; k <= 4; k++) {
      const s = solveSync(cell, u, { ...base, method: 'deer', maxIter: k }).states;
      peak = Math.max(peak, ...s.map(Math.abs));
    }
    expect(peak).toBeGreaterThan(1e7);
  });

  it('quasi-DEER needs 30 (±1); ELK-filter σ² = 1e2 stays below 7.2 and needs 12 (±1)', () => {
    const q = errorsByIteration(
      (k) => solveSync(cell, u, { ...base, ...plainQuasi, maxIter: k }).states,
      ref,
      32,
    );
    expect(Math.abs(firstBelow(q, 1e-8) - 30)).toBeLessThanOrEqual(1);
    // Anderson acceleration (past the converged prefix only) keeps quasi-DEER's finite termination.
    const a = errorsByIteration(
      (k) => solveSync(cell, u, { ...base, ...accelerated, maxIter: k }).states,
      ref,
      34,
    );
    expect(firstBelow(a, 1e-8)).toBeGreaterThan(0);
    expect(firstBelow(a, 1e-8)).toBeLessThanOrEqual(33);
    let peak = 0;
    const e = errorsByIteration(
      (k) => {
        const s = solveSync(cell, u, {
          ...base,
          method: 'elk',
          elk: { variant: 'filter', lambda: 1e-2 },
          maxIter: k,
        }).states;
        peak = Math.max(peak, ...s.map(Math.abs));
        return s;
      },
      ref,
      16,
    );
    expect(Math.abs(firstBelow(e, 1e-8) - 12)).toBeLessThanOrEqual(1);
    expect(peak).toBeLessThan(7.2);
  });

  it('ELK-filter σ² = 1 stalls (error ≈ 0.24 after T iterations)', () => {
    const r = solveSync(cell, u, {
      ...base,
      method: 'elk',
      elk: { variant: 'filter', lambda: 1 },
      maxIter: 32,
    });
    expect(maxAbsDiff(r.states, ref)).toBeCloseTo(0.24, 1);
    expect(r.converged).toBe(false);
  });

  it('ELK-filter and quasi-ELK with adaptive λ converge, with bounded iterates and λ reported', () => {
    // quasi-ELK: W has a zero diagonal, so the diagonal A_t vanish and filter = smoother here.
    for (const method of ['elk', 'quasi-elk'] as const) {
      let peak = 0;
      let damped = 0;
      const r = solveSync(cell, u, {
        h0,
        method,
        elk: { variant: 'filter' },
        atol: 1e-10,
        rtol: 0,
        maxIter: 200,
        onProgress: (info) => {
          // λ of the step taken; 0 when every step of the iteration was the undamped (certifying) one.
          expect(info.lambda).toBeGreaterThanOrEqual(0);
          if ((info.lambda ?? 0) > 0) damped++;
        },
      });
      for (const v of r.states) peak = Math.max(peak, Math.abs(v));
      expect(r.converged, method).toBe(true);
      expect(maxAbsDiff(r.states, ref), method).toBeLessThan(1e-8);
      expect(r.history.every((h) => h.lambda !== undefined)).toBe(true);
      expect(damped, method).toBeGreaterThan(0);
      // The final iterate is certified by an undamped step: the last record's λ is 0.
      expect(r.history.at(-1)?.lambda, method).toBe(0);
      expect(peak, method).toBeLessThan(20);
    }
  });

  it('adaptive ELK (exact LM step, the default) converges with bounded iterates where DEER reaches 1e8', () => {
    const r = solveSync(cell, u, { h0, method: 'elk', atol: 1e-10, rtol: 0, maxIter: 40 });
    expect(r.converged).toBe(true);
    expect(maxAbsDiff(r.states, ref)).toBeLessThan(1e-8);
    expect(r.iterations).toBeLessThanOrEqual(20);
    let peak = 0;
    for (let k = 1; k <= r.iterations; k++) {
      const s = solveSync(cell, u, { h0, method: 'elk', maxIter: k }).states;
      peak = Math.max(peak, ...s.map(Math.abs));
    }
    expect(peak).toBeLessThan(1e5);
  });

  it('the exact LM step at a fixed λ stalls on this ill-conditioned problem, and the result says so', () => {
    // σ_min(J) ~ ρ^−T: the error components along it shrink by only 1 − σ²/λ per iteration.
    const r = solveSync(cell, u, {
      h0,
      method: 'elk',
      elk: { lambda: 1e-2 },
      atol: 1e-10,
      rtol: 0,
      maxIter: 40,
    });
    expect(r.converged).toBe(false);
    expect(r.residual).toBeGreaterThan(0.1);
    expect(r.events.some((e) => e.kind === 'max-iterations')).toBe(true);
  });

  it('undamped DEER with clipping reports every clip as an event', () => {
    const r = solveSync(cell, u, { h0, method: 'deer', clip: 100, maxIter: 3 });
    const clips = r.events.filter((e) => e.kind === 'clipped');
    expect(clips.length).toBeGreaterThan(0);
    expect(Math.max(...r.states.map(Math.abs))).toBeLessThanOrEqual(100);
  });
});

describe('golden case C: y_t = y_{t−1}² + 0.5 x_t', () => {
  const x = new Float64Array(10).map((_, i) => i / 9);
  const want = [
    0, 0.05555556, 0.11419753, 0.17970774, 0.2545171, 0.34255673, 0.45067845, 0.59199995, 0.79490839,
    1.13187934,
  ];
  for (const method of ['sequential', 'jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'] as Method[]) {
    it(`${method} reproduces the printed values`, () => {
      const r = solveSync(squareCell, x, { method, atol: 1e-12, rtol: 0 });
      expect(r.converged).toBe(true);
      for (let t = 0; t < 10; t++) expect(r.states[t]).toBeCloseTo(want[t], 8);
    });
  }
});
