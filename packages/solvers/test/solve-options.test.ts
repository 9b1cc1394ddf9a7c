import {
  type AffineScanArgs,
  BackendUnavailableError,
  type Cell,
  ConvergenceError,
  type DeviceSolver,
  type KalmanScanArgs,
  type ScanBackend,
  ShapeError,
  type SolveResult,
} from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, solve, solveSync } from '../src/index.js';
import { gruCell, rng, uniform } from './gradient-fixtures.js';
import { maxAbsDiff, rotationTanhCell, sequentialReference } from './solve-fixtures.js';

const n = 4;
const m = 2;
const T = 50;
const cell = gruCell(n, m, 5, 0.5);
const x = uniform(2 * T * m, 1, rng(1));
const ref2 = sequentialReference(cell, x, 2, T);

describe('options and validation', () => {
  it('bad inputs, h0, initialGuess, method and tolerances are typed errors naming the argument', () => {
    expect(() => solveSync(cell, new Float64Array(7), {})).toThrow(ShapeError);
    expect(() => solveSync(cell, new Float64Array(7), {})).toThrow(/inputs/);
    expect(() => solveSync(cell, x, { batch: 2, h0: new Float64Array(3) })).toThrow(
      /h0: expected shape \[n=4\] or \[B=2\]\[n=4\]/,
    );
    expect(() => solveSync(cell, x, { batch: 2, initialGuess: new Float64Array(5) })).toThrow(/initialGuess/);
    expect(() => solveSync(cell, x, { method: 'newton' as never })).toThrow(InvalidOptionError);
    expect(() => solveSync(cell, x, { atol: -1 })).toThrow(/atol/);
    expect(() => solveSync(cell, x, { method: 'block-deer' })).toThrow(/blockSize/);
    expect(() => solveSync(rotationTanhCell(), null, {})).toThrow(/length/);
  });

  it('h0 [n] broadcasts and equals the same h0 given per sequence', () => {
    const h = new Float64Array([0.1, -0.2, 0.3, 0.4]);
    const a = solveSync(cell, x, { batch: 2, h0: h, atol: 1e-12, rtol: 0 });
    const b = solveSync(cell, x, { batch: 2, h0: new Float64Array([...h, ...h]), atol: 1e-12, rtol: 0 });
    expect(maxAbsDiff(a.states, b.states)).toBe(0);
    expect(maxAbsDiff(a.states, sequentialReference(cell, x, 2, T, h))).toBeLessThan(1e-10);
  });

  it("initialGuess 'h0' and a warm start: a converged trajectory needs one confirming iteration", () => {
    const r = solveSync(cell, x, { batch: 2, initialGuess: 'h0', atol: 1e-12, rtol: 0 });
    expect(r.converged).toBe(true);
    const warm = solveSync(cell, x, { batch: 2, initialGuess: r.states, atol: 1e-10, rtol: 0 });
    // Convergence needs a step within tolerance as well as the residual, so the warm start is confirmed
    // by exactly one Newton step (which barely moves it).
    expect(warm.iterations).toBe(1);
    expect(warm.converged).toBe(true);
    expect(warm.history).toHaveLength(1);
    expect(warm.history[0].maxStep).toBeLessThan(1e-10);
  });

  it('per-sequence iterations: an easy sequence leaves the active batch early', () => {
    // Sequence 0 starts at its solution, sequence 1 from zeros.
    const guess = new Float64Array(2 * T * n);
    guess.set(ref2.subarray(0, T * n));
    const r = solveSync(cell, x, { batch: 2, initialGuess: guess, atol: 1e-12, rtol: 0 });
    expect(r.iterationsPerSequence[0]).toBe(1);
    expect(r.iterationsPerSequence[1]).toBeGreaterThan(1);
    // After the confirming first iteration only sequence 1 is still active.
    expect(r.history.slice(1).every((h) => h.active <= 1)).toBe(true);
    expect(maxAbsDiff(r.states, ref2)).toBeLessThan(1e-10);
  });

  it('onProgress is called once per iteration; an aborted signal stops the solve', () => {
    const seen: number[] = [];
    const r = solveSync(cell, x, { batch: 2, onProgress: (i) => seen.push(i.iteration) });
    expect(seen).toEqual(r.history.map((h) => h.iteration));
    const ac = new AbortController();
    ac.abort();
    expect(() => solveSync(cell, x, { batch: 2, signal: ac.signal })).toThrow();
  });

  it('float32 and the sequential method', () => {
    const r = solveSync(cell, x, { batch: 2, method: 'sequential', dtype: 'float32' });
    expect(r.states).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(r.states, ref2)).toBeLessThan(1e-6);
    expect(r.converged).toBe(true);
  });
});

describe('events', () => {
  it('a cell without analytic Jacobians uses finite differences and says so', () => {
    const plain: Cell = { kind: 'plain', stateSize: n, inputSize: m, step: cell.step };
    const r = solveSync(plain, x, { batch: 2, method: 'deer', atol: 1e-10, rtol: 0 });
    expect(r.events.filter((e) => e.kind === 'finite-difference-jacobian')).toHaveLength(1);
    expect(r.converged).toBe(true);
    expect(maxAbsDiff(r.states, ref2)).toBeLessThan(1e-9);
  });

  it('a backend without the structure falls back to the sequential CPU backend with an event', () => {
    const seq = createSequentialBackend();
    const diagOnly: ScanBackend = {
      name: 'diag-only',
      synchronous: true,
      capabilities: { float64: { affine: ['diagonal'], blockSizes: [], reverse: false, kalman: [] } },
      affineScan: (a: AffineScanArgs) => seq.affineScan(a),
    };
    const r = solveSync(cell, x, { batch: 2, method: 'deer', backend: diagOnly });
    expect(r.events.some((e) => e.kind === 'backend-fallback')).toBe(true);
    expect(r.backend).toBe('cpu-sequential');
    const q = solveSync(cell, x, { batch: 2, method: 'quasi-deer', backend: diagOnly });
    expect(q.backend).toBe('diag-only');
    expect(q.events.some((e) => e.kind === 'backend-fallback')).toBe(false);
  });

  it('an asynchronous backend works with solve and is refused by solveSync', async () => {
    const seq = createSequentialBackend();
    const asyncBackend: ScanBackend = {
      name: 'async',
      synchronous: false,
      capabilities: seq.capabilities,
      affineScan: async (a: AffineScanArgs) => seq.affineScan(a),
      kalmanScan: async (a: KalmanScanArgs) => seq.kalmanScan?.(a) ?? { finite: false },
    };
    const r = await solve(cell, x, { batch: 2, method: 'elk', backend: asyncBackend, atol: 1e-12, rtol: 0 });
    expect(r.converged).toBe(true);
    expect(maxAbsDiff(r.states, ref2)).toBeLessThan(1e-10);
    expect(() => solveSync(cell, x, { batch: 2, backend: asyncBackend })).toThrow(BackendUnavailableError);
  });

  it('a DeviceSolver backend is tried first; null falls back to host linearisation', async () => {
    const seq = createSequentialBackend();
    let calls = 0;
    const fake = { states: new Float64Array(1) } as unknown as SolveResult;
    const device: ScanBackend & DeviceSolver = {
      ...seq,
      name: 'device',
      solveOnDevice: (c) => {
        calls++;
        return c === cell ? Promise.resolve(fake) : null;
      },
    };
    expect(await solve(cell, x, { batch: 2, backend: device })).toBe(fake);
    const other = await solve(rotationTanhCell(), null, {
      length: 8,
      h0: new Float64Array([1, 0]),
      backend: device,
    });
    expect(calls).toBe(2);
    expect(other.converged).toBe(true);
    expect(other.backend).toBe('device');
  });

  it("onDivergence: 'report', 'throw' (ConvergenceError with the partial result) and 'fallback-sequential'", () => {
    const opts = { batch: 2, method: 'jacobi' as const, maxIter: 2, atol: 1e-12, rtol: 0 };
    const r = solveSync(cell, x, opts);
    expect(r.converged).toBe(false);
    expect(r.events.filter((e) => e.kind === 'max-iterations')).toHaveLength(2);
    try {
      solveSync(cell, x, { ...opts, onDivergence: 'throw' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConvergenceError);
      expect(((e as ConvergenceError).result as SolveResult).iterations).toBe(2);
    }
    const f = solveSync(cell, x, { ...opts, onDivergence: 'fallback-sequential' });
    expect(f.converged).toBe(true);
    expect(f.events.filter((e) => e.kind === 'fallback-sequential')).toHaveLength(2);
    expect(maxAbsDiff(f.states, ref2)).toBe(0);
  });

  it('a non-finite iterate is reported, the sequence stops, and the last finite iterate is kept', () => {
    // f overflows to Infinity for |h| > 10: DEER's first iterate from a large guess hits it.
    const blow: Cell = {
      kind: 'blow',
      stateSize: 1,
      inputSize: 0,
      step: (h, ho, _x, _xo, o, oo) => {
        o[oo] = Math.exp(Math.exp(h[ho]));
      },
    };
    const r = solveSync(blow, null, {
      length: 4,
      method: 'deer',
      initialGuess: new Float64Array([1, 2, 3, 40]),
    });
    expect(r.converged).toBe(false);
    expect(r.events.some((e) => e.kind === 'non-finite')).toBe(true);
    expect(Number.isNaN(r.residual)).toBe(true);
  });
});
