/** Behaviour specific to the threaded backend (the conformance suite covers its results). */
import { BackendUnavailableError } from '@antler/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  affineChunkAggregate,
  applyChunkAggregate,
  blockScanSequential,
  choleskyInPlace,
  choleskySolveVector,
  createThreadedBackend,
  denseKalmanSequential,
  denseScanSequential,
  diagonalKalmanSequential,
  diagonalScanSequential,
  kalmanScanSequential,
  primeAffineKernels,
  runAffineTask,
} from '../src/index.js';
import { aimAtBlock, runLookaheadTask } from '../src/threads/lookahead-task.js';
import { runKalmanTask } from '../src/threads/kalman-task.js';
import { rng, uniform } from './helpers/random.js';
import { maxRelError } from './helpers/views.js';

describe('threaded backend', () => {
  const backend = createThreadedBackend({ threads: 2, minWorkPerThread: 1 });
  afterAll(() => backend.dispose());

  it('spreads a batched Kalman smoother over the workers and matches the sequential one', () => {
    const rand = rng(3);
    const B = 5;
    const T = 40;
    const n = 3;
    for (const structure of ['dense', 'diagonal'] as const) {
      const step = structure === 'dense' ? n * n : n;
      const args = {
        structure,
        batch: B,
        length: T,
        size: n,
        a: { data: uniform(rand, B * T * step, -0.5, 0.5) },
        b: { data: uniform(rand, B * T * n) },
        y: { data: uniform(rand, B * T * n) },
        s0: { data: uniform(rand, B * n) },
        processVariance: 1,
        observationVariance: 0.3,
        smooth: true,
      };
      const got = new Float64Array(B * T * n);
      const ref = new Float64Array(B * T * n);
      expect(backend.kalmanScan({ ...args, out: { data: got } }).finite).toBe(true);
      kalmanScanSequential({ ...args, out: { data: ref } });
      expect(maxRelError(got, ref)).toBe(0);
    }
  });

  it('works in place on SharedArrayBuffer-backed arrays and copies other arrays in and out', () => {
    const T = 1000;
    for (const shared of [true, false]) {
      const mk = (len: number) =>
        shared ? new Float64Array(new SharedArrayBuffer(len * 8)) : new Float64Array(len);
      const a = mk(T).fill(0.5);
      const b = mk(T).fill(1);
      // A strided output: the gaps between steps must keep their values.
      const out = mk(2 * T).fill(-7);
      const rep = backend.affineScan({
        structure: 'diagonal',
        batch: 1,
        length: T,
        size: 1,
        a: { data: a },
        b: { data: b },
        out: { data: out, timeStride: 2 },
      });
      expect(rep.finite).toBe(true);
      for (let t = 0; t < T; t++) {
        expect(out[2 * t]).toBeCloseTo(2 * (1 - 0.5 ** (t + 1)), 14);
        expect(out[2 * t + 1]).toBe(-7);
      }
    }
  });

  it('reports non-finite values computed on a worker', () => {
    const T = 1000;
    const b = new Float64Array(T).fill(1);
    b[T - 10] = Number.NaN; // in the last chunk, scanned by a worker
    const rep = backend.affineScan({
      structure: 'diagonal',
      batch: 1,
      length: T,
      size: 1,
      a: { data: new Float64Array(T).fill(0.5) },
      b: { data: b },
      out: { data: new Float64Array(T) },
    });
    expect(rep.finite).toBe(false);
  });

  it('ships only functions without inner functions to the workers (a bundler may wrap inner functions in helpers the worker lacks)', () => {
    for (const fn of [
      diagonalScanSequential,
      denseScanSequential,
      blockScanSequential,
      affineChunkAggregate,
      applyChunkAggregate,
      primeAffineKernels,
      runAffineTask,
      runLookaheadTask,
      aimAtBlock,
      denseKalmanSequential,
      diagonalKalmanSequential,
      choleskyInPlace,
      choleskySolveVector,
      runKalmanTask,
    ]) {
      const text = String(fn);
      expect({ name: fn.name, arrows: text.includes('=>') }).toEqual({ name: fn.name, arrows: false });
      expect({ name: fn.name, functions: text.split(/\bfunction\b/).length - 1 }).toEqual({
        name: fn.name,
        functions: 1,
      });
    }
  });

  it('refuses work after dispose()', async () => {
    const other = createThreadedBackend({ threads: 2, minWorkPerThread: 1 });
    await other.dispose();
    const T = 100;
    expect(() =>
      other.affineScan({
        structure: 'diagonal',
        batch: 1,
        length: T,
        size: 1,
        a: { data: new Float64Array(T) },
        b: { data: new Float64Array(T) },
        out: { data: new Float64Array(T) },
      }),
    ).toThrow(BackendUnavailableError);
  });
});
