import type { Cell, Method, SolveOptions } from '@antler/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccelerationOptions, solveSync } from '../src/index.js';
import { elmanCell, gruCell, rng, uniform } from './gradient-fixtures.js';
import { maxAbsDiff, sequentialReference } from './solve-fixtures.js';

const ITERATIVE: Method[] = ['jacobi', 'deer', 'quasi-deer', 'block-deer', 'elk', 'quasi-elk'];

/** Adds an analytic-free block size to a cell (block-DEER then reads the blocks off the dense Jacobian). */
/** PyTorch's default initialisation U(−1/√n, 1/√n): what an untrained nn.RNN / nn.GRU starts from. */
const init = (n: number): number => 1 / Math.sqrt(n);

const withBlocks = (cell: Cell, k: number): Cell => ({ ...cell, blockSize: k });

describe('random GRU and Elman cells, float64: every method reaches the sequential trajectory', () => {
  const cases: [string, Cell, number, number, number][] = [
    ['elman n=8', elmanCell(8, 3, 11, init(8)), 8, 3, 150],
    ['gru n=8', gruCell(8, 3, 12, init(8)), 8, 3, 150],
    ['gru n=16', gruCell(16, 4, 13, init(16)), 16, 4, 300],
  ];
  for (const [name, base, n, m, T] of cases) {
    const B = 3;
    const cell = withBlocks(base, 2);
    const inputs = uniform(B * T * m, 1, rng(7 + n));
    const h0 = uniform(B * n, 0.5, rng(3));
    const ref = sequentialReference(cell, inputs, B, T, h0);
    for (const method of ITERATIVE) {
      it(`${name}, B=${B}, T=${T}: ${method}`, () => {
        const r = solveSync(cell, inputs, { method, batch: B, h0, atol: 1e-12, rtol: 0 });
        expect(r.converged).toBe(true);
        expect(r.convergedPerSequence).toEqual([true, true, true]);
        expect(maxAbsDiff(r.states, ref)).toBeLessThan(1e-10);
        expect(r.residual).toBeLessThanOrEqual(1e-12);
        expect(r.history.length).toBe(r.iterations);
        expect(r.history.at(-1)?.active).toBe(0);
        // Iteration counts at the default float64 tolerances (atol 1e-6, rtol 1e-4).
        const d = solveSync(cell, inputs, { method, batch: B, h0 });
        expect(d.converged).toBe(true);
        if (method === 'deer') expect(d.iterations).toBeLessThanOrEqual(8);
        if (method === 'quasi-deer') {
          // Plain quasi-DEER contracts linearly at ≈ 0.6 per iteration on the Elman cell (off-diagonal
          // coupling the diagonal ignores): 26–29 iterations measured; GRUs ≤ 11.
          expect(d.iterations).toBeLessThanOrEqual(name.startsWith('gru') ? 20 : 30);
          expect(d.history.every((h) => !('accelerated' in h))).toBe(true);
          // With Anderson acceleration ≤ 20 on every cell (Elman: 20 measured); the history says
          // per iteration how many sequences took the mixed iterate.
          const fast = solveSync(cell, inputs, {
            method,
            batch: B,
            h0,
            acceleration: 'anderson',
          } as SolveOptions & AccelerationOptions);
          expect(fast.converged).toBe(true);
          expect(fast.iterations).toBeLessThanOrEqual(20);
          expect(maxAbsDiff(fast.states, ref)).toBeLessThan(1e-4);
          const accelerated = fast.history.map((h) => (h as { accelerated?: number }).accelerated ?? -1);
          expect(accelerated.every((a) => a >= 0)).toBe(true);
          expect(accelerated.some((a) => a > 0)).toBe(true);
        }
      });
    }
  }

  it('float32: DEER, quasi-DEER and ELK agree with the float64 sequential trajectory to 1e-5', () => {
    const n = 8;
    const m = 3;
    const T = 400;
    const B = 2;
    const cell = gruCell(n, m, 21, init(n));
    const inputs = uniform(B * T * m, 1, rng(5));
    const ref = sequentialReference(cell, inputs, B, T);
    for (const method of ['deer', 'quasi-deer', 'elk', 'quasi-elk'] as Method[]) {
      const r = solveSync(cell, new Float32Array(inputs), {
        method,
        batch: B,
        dtype: 'float32',
        atol: 1e-6,
        rtol: 0,
        maxIter: 60,
      });
      expect(r.states).toBeInstanceOf(Float32Array);
      expect(r.converged, method).toBe(true);
      expect(maxAbsDiff(r.states, ref), method).toBeLessThan(1e-5);
    }
  });

  it('GRU n=32 (dense methods): DEER ≤ 8 iterations at T=500, ELK at T=200, both within 1e-10', () => {
    const cell = gruCell(32, 8, 33, init(32));
    for (const [method, T] of [
      ['deer', 500],
      ['elk', 200],
    ] as const) {
      const x = uniform(T * 8, 1, rng(T));
      const r = solveSync(cell, x, { method, atol: 1e-12, rtol: 0 });
      expect(r.converged, method).toBe(true);
      expect(maxAbsDiff(r.states, sequentialReference(cell, x, 1, T)), method).toBeLessThan(1e-10);
      if (method === 'deer')
        expect(r.history.findIndex((h) => h.maxResidual <= 1e-6) + 1).toBeLessThanOrEqual(8);
    }
  });

  it('large: GRU n=32, T=10,000, B=1 with quasi-DEER (≤ 20 iterations) and Elman n=16, T=2,000, B=4 with DEER (≤ 8)', () => {
    const gru = gruCell(32, 8, 31, init(32));
    const xg = uniform(10_000 * 8, 1, rng(9));
    const q = solveSync(gru, xg, { method: 'quasi-deer', atol: 1e-12, rtol: 0 });
    expect(q.converged).toBe(true);
    // max |r| ≤ 1e-6 is stricter than the default rule (atol 1e-6 + rtol 1e-4·|s|): the default stops by then.
    const firstBelow = (h: typeof q.history): number => h.findIndex((r) => r.maxResidual <= 1e-6) + 1;
    expect(firstBelow(q.history)).toBeGreaterThan(0);
    expect(firstBelow(q.history)).toBeLessThanOrEqual(20);
    expect(maxAbsDiff(q.states, sequentialReference(gru, xg, 1, 10_000))).toBeLessThan(1e-10);
    const el = elmanCell(16, 4, 32, init(16));
    const xe = uniform(4 * 2000 * 4, 1, rng(10));
    const d = solveSync(el, xe, { method: 'deer', batch: 4, atol: 1e-12, rtol: 0 });
    expect(d.converged).toBe(true);
    expect(firstBelow(d.history)).toBeGreaterThan(0);
    expect(firstBelow(d.history)).toBeLessThanOrEqual(8);
    expect(maxAbsDiff(d.states, sequentialReference(el, xe, 4, 2000))).toBeLessThan(1e-10);
  });
});

describe('unstable cells (spectral radius of W_hh ≥ 2)', () => {
  /** Elman cell h' = tanh(W_ih x + b + W_hh h) with W_hh rescaled in place to spectral radius `rho`. */
  function unstableElman(n: number, m: number, seed: number, rho = 2.5): Cell {
    const cell = elmanCell(n, m, seed, 0.6);
    const W = cell.parameters?.weight_hh_l0.data as Float64Array;
    // Power iteration for the spectral radius, then rescale W in place.
    let v = new Float64Array(n).fill(1);
    let radius = 0;
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i] += W[i * n + j] * v[j];
      radius = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / v.reduce((s, x) => s + x * x, 0));
      const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
      v = w.map((x) => x / norm);
    }
    for (let i = 0; i < n * n; i++) W[i] *= rho / radius;
    return { ...cell, blockSize: 1 };
  }

  /**
   * Elman cell with W_hh = ρ·Q, Q a random orthogonal matrix (Gram–Schmidt), and zero biases: every
   * singular value of W_hh is ρ, so linearisations near the unsaturated region grow in every direction.
   */
  function orthogonalElman(n: number, m: number, seed: number, rho: number): Cell {
    const cell = elmanCell(n, m, seed, 0.6);
    const P = cell.parameters as NonNullable<Cell['parameters']>;
    const W = P.weight_hh_l0.data as Float64Array;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < i; k++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += W[i * n + j] * W[k * n + j];
        for (let j = 0; j < n; j++) W[i * n + j] -= dot * W[k * n + j];
      }
      let norm = 0;
      for (let j = 0; j < n; j++) norm += W[i * n + j] ** 2;
      for (let j = 0; j < n; j++) W[i * n + j] /= Math.sqrt(norm);
    }
    for (let i = 0; i < n * n; i++) W[i] *= rho;
    (P.bias_ih_l0.data as Float64Array).fill(0);
    (P.bias_hh_l0.data as Float64Array).fill(0);
    return { ...cell, blockSize: 1 };
  }

  /** max |s| over DEER's iterates 1 … k (each re-solved with maxIter = i). */
  function deerPeak(cell: Cell, x: Float64Array, k: number): number {
    let peak = 0;
    for (let i = 1; i <= k; i++)
      for (const v of solveSync(cell, x, { method: 'deer', maxIter: i }).states)
        peak = Math.max(peak, Math.abs(v));
    return peak;
  }

  it('adaptive ELK (smoother, filter) and quasi-ELK converge on n=6, T=200, radius 2.5, where DEER iterates reach 1e50+', () => {
    const n = 6;
    const T = 200;
    for (const seed of [1, 2, 3, 4]) {
      const cell = unstableElman(n, 3, seed);
      const x = uniform(T * 3, 1, rng(100 + seed));
      const ref = sequentialReference(cell, x, 1, T);
      expect(deerPeak(cell, x, 3)).toBeGreaterThan(1e20);
      for (const options of [
        { method: 'elk' },
        { method: 'elk', elk: { variant: 'filter' } },
        { method: 'quasi-elk' },
      ] as SolveOptions[]) {
        let peakStep = 0;
        const r = solveSync(cell, x, {
          ...options,
          atol: 1e-10,
          rtol: 0,
          maxIter: 400,
          onProgress: (info) => {
            peakStep = Math.max(peakStep, info.maxStep);
          },
        });
        const what = `seed ${seed} ${JSON.stringify(options)}`;
        expect(r.converged, what).toBe(true);
        expect(maxAbsDiff(r.states, ref), what).toBeLessThan(1e-8);
        // The damped iterates stay bounded: the largest step of any iteration (DEER's: 1e61–1e86 here).
        expect(peakStep, what).toBeLessThan(1e6);
      }
    }
  });

  it('property (fast-check): radius 2–3, adaptive ELK and quasi-ELK converge, DEER blows up, and converged ⇒ within tolerance for every method', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 24, max: 40 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 2, max: 3, noNaN: true }),
        fc.constantFrom<Method>('jacobi', 'deer', 'quasi-deer', 'block-deer', 'elk', 'quasi-elk'),
        fc.constantFrom<'smoother' | 'filter'>('smoother', 'filter'),
        fc.double({ min: 1e-10, max: 1e-5, noNaN: true }),
        fc.double({ min: 0, max: 1e-4, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom<'none' | 'anderson'>('none', 'anderson'),
        (n, T, seed, rho, method, variant, atol, rtol, maxIter, acceleration) => {
          const cell = orthogonalElman(n, 3, seed, rho);
          // Small inputs keep tanh away from saturation, so DEER's linearisations carry the full growth.
          const x = uniform(T * 3, 0.2, rng(seed + 1));
          const ref = sequentialReference(cell, x, 1, T);
          // The premise: undamped DEER's iterates blow up on this cell (at some iteration before it converges).
          const deer = solveSync(cell, x, { method: 'deer', atol: 1e-9, rtol: 0 });
          expect(deerPeak(cell, x, deer.iterations)).toBeGreaterThan(1e3);
          // Adaptive ELK (the default smoother) and quasi-ELK converge to the sequential trajectory.
          for (const lm of ['elk', 'quasi-elk'] as const) {
            const elk = solveSync(cell, x, { method: lm, atol: 1e-9, rtol: 0, maxIter: 8 * T });
            expect(elk.converged, lm).toBe(true);
            expect(maxAbsDiff(elk.states, ref), lm).toBeLessThanOrEqual(1e-9);
          }
          // No method reports convergence further than its tolerance from the sequential trajectory.
          const r = solveSync(cell, x, {
            method,
            elk: { variant },
            atol,
            rtol,
            maxIter,
            acceleration,
          } as SolveOptions & AccelerationOptions);
          if (r.converged) {
            let smax = 0;
            for (const v of r.states) smax = Math.max(smax, Math.abs(v));
            expect(maxAbsDiff(r.states, ref)).toBeLessThanOrEqual(atol + rtol * smax);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('property: converged ⇒ within tolerance of the sequential trajectory', () => {
  it('holds for random contracting tanh cells, every method, random tolerances (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom<Method>('jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'),
        fc.double({ min: 1e-10, max: 1e-3, noNaN: true }),
        fc.double({ min: 0, max: 1e-3, noNaN: true }),
        fc.integer({ min: 1, max: 12 }),
        (n, T, seed, method, atol, rtol, maxIter) => {
          // ‖W‖_∞ ≤ 0.9 and |tanh'| ≤ 1: f is a 0.9-contraction in the max norm, so a residual ≤ ε per step
          // bounds the error by ε / (1 − 0.9).
          const r = rng(seed);
          const W = uniform(n * n, 1, r);
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += Math.abs(W[i * n + j]);
            for (let j = 0; j < n; j++) W[i * n + j] *= 0.9 / Math.max(s, 1e-12);
          }
          const cell: Cell = {
            kind: 'contracting-tanh',
            stateSize: n,
            inputSize: n,
            step(h, ho, x, xo, o, oo) {
              for (let i = 0; i < n; i++) {
                let s = x[xo + i];
                for (let j = 0; j < n; j++) s += W[i * n + j] * h[ho + j];
                o[oo + i] = Math.tanh(s);
              }
            },
          };
          const x = uniform(T * n, 2, r);
          const res = solveSync(cell, x, { method, atol, rtol, maxIter });
          if (!res.converged) return true;
          const ref = sequentialReference(cell, x, 1, T);
          let smax = 0;
          for (const v of res.states) smax = Math.max(smax, Math.abs(v));
          return maxAbsDiff(res.states, ref) <= (atol + rtol * smax) / 0.1 + 1e-14;
        },
      ),
      { numRuns: 150 },
    );
  });
});
