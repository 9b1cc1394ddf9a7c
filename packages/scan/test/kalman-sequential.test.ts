import { type DType, DTypeError, ShapeError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { createSequentialBackend, kalmanScanSequential } from '../src/index.js';
import { diagonalToDense, filterMeansByLeastSquares, leastSquaresMeans } from './helpers/least-squares.js';
import { rng, uniform } from './helpers/random.js';
import { fromView, maxRelError, roundTo, toView } from './helpers/views.js';

interface Case {
  structure: 'dense' | 'diagonal';
  dtype: DType;
  batch: number;
  length: number;
  size: number;
  q: number;
  r: number;
  strided: boolean;
  withS0: boolean;
}

function run(c: Case, seed: number) {
  const rand = rng(seed);
  const { batch: B, length: T, size: n } = c;
  const aStep = c.structure === 'dense' ? n * n : n;
  // Spectral radius ≤ 1.2 so that some steps expand: the smoother must still match exactly.
  const a = roundTo(
    c.dtype,
    uniform(rand, B * T * aStep, -1.2 / Math.sqrt(aStep / n), 1.2 / Math.sqrt(aStep / n)),
  );
  const b = roundTo(c.dtype, uniform(rand, B * T * n));
  const y = roundTo(c.dtype, uniform(rand, B * T * n, -2, 2));
  const s0 = c.withS0 ? roundTo(c.dtype, uniform(rand, B * n)) : null;
  const pad = c.strided ? { offset: 3, time: 2, batch: 5 } : undefined;
  const outF = toView(c.dtype, new Float64Array(B * T * n), B, T, n, pad);
  const outS = toView(c.dtype, new Float64Array(B * T * n), B, T, n, pad);
  const common = {
    structure: c.structure,
    batch: B,
    length: T,
    size: n,
    a: toView(c.dtype, a, B, T, aStep, pad),
    b: toView(c.dtype, b, B, T, n, pad),
    y: toView(c.dtype, y, B, T, n, pad),
    s0: s0 ? toView(c.dtype, s0, B, 1, n, pad) : null,
    processVariance: c.q,
    observationVariance: c.r,
  };
  expect(kalmanScanSequential({ ...common, smooth: false, out: outF })).toEqual({ finite: true });
  expect(kalmanScanSequential({ ...common, smooth: true, out: outS })).toEqual({ finite: true });
  const filt = fromView(outF, B, T, n);
  const smooth = fromView(outS, B, T, n);
  const refF = new Float64Array(B * T * n);
  const refS = new Float64Array(B * T * n);
  for (let k = 0; k < B; k++) {
    const slice = (x: Float64Array, step: number) => x.subarray(k * T * step, (k + 1) * T * step);
    const ak = slice(a, aStep);
    const p = {
      length: T,
      size: n,
      a: c.structure === 'dense' ? ak : diagonalToDense(T, n, ak),
      b: slice(b, n),
      y: slice(y, n),
      s0: s0 ? s0.subarray(k * n, (k + 1) * n) : null,
      q: c.q,
      r: c.r,
    };
    refS.set(leastSquaresMeans(p), k * T * n);
    refF.set(filterMeansByLeastSquares(p), k * T * n);
  }
  return { filt, smooth, refF, refS };
}

const tol = (d: DType) => (d === 'float64' ? 1e-10 : 2e-6);

describe('sequential Kalman filter and RTS smoother', () => {
  const cases: Case[] = [];
  let i = 0;
  for (const structure of ['dense', 'diagonal'] as const)
    for (const dtype of ['float64', 'float32'] as const)
      for (const [length, size] of [
        [1, 1],
        [1, 3],
        [7, 1],
        [13, 3],
        [6, 4],
      ])
        cases.push({
          structure,
          dtype,
          batch: 1 + (i % 3),
          length,
          size,
          q: [1, 0.5, 2][i % 3],
          r: [1e-2, 1, 1e2][i++ % 3],
          strided: i % 2 === 0,
          withS0: i % 4 !== 1,
        });
  it.each(cases.map((c, k) => [JSON.stringify(c), c, k] as const))(
    'smoother = least-squares minimiser, filter = truncated minimiser: %s',
    (_, c, seed) => {
      const { filt, smooth, refF, refS } = run(c, seed + 1);
      expect(maxRelError(smooth, refS)).toBeLessThan(tol(c.dtype));
      expect(maxRelError(filt, refF)).toBeLessThan(tol(c.dtype));
      // The filter and the smoother agree at the last step of each sequence.
      const n = c.size;
      for (let k = 0; k < c.batch; k++) {
        const o = (k * c.length + c.length - 1) * n;
        for (let j = 0; j < n; j++)
          expect(filt[o + j]).toBeCloseTo(smooth[o + j], c.dtype === 'float64' ? 12 : 5);
      }
    },
  );

  it('the backend advertises and runs both structures', () => {
    const backend = createSequentialBackend();
    expect(backend.capabilities.float64?.kalman).toEqual(['dense', 'diagonal']);
    expect(backend.capabilities.float32?.kalman).toEqual(['dense', 'diagonal']);
    const out = new Float64Array(2);
    const rep = backend.kalmanScan?.({
      structure: 'diagonal',
      batch: 1,
      length: 2,
      size: 1,
      a: { data: new Float64Array([0.5, 0.5]) },
      b: { data: new Float64Array([0, 0]) },
      y: { data: new Float64Array([1, 1]) },
      processVariance: 1,
      observationVariance: 1,
      smooth: false,
      out: { data: out },
    });
    expect(rep).toEqual({ finite: true });
    // Closed form: prior N(0, 1), gain 1/2 → m_0 = 0.5, p_0 = 0.5; predict 0.25, 1.125; gain 1.125/2.125.
    expect(out[0]).toBeCloseTo(0.5, 15);
    expect(out[1]).toBeCloseTo(0.25 + (1.125 / 2.125) * 0.75, 15);
  });

  it('reports non-finite outputs instead of hiding them', () => {
    const out = new Float64Array(3);
    const rep = kalmanScanSequential({
      structure: 'dense',
      batch: 1,
      length: 3,
      size: 1,
      a: { data: new Float64Array([1, Number.NaN, 1]) },
      b: { data: new Float64Array(3) },
      y: { data: new Float64Array(3) },
      processVariance: 1,
      observationVariance: 1,
      smooth: true,
      out: { data: out },
    });
    expect(rep.finite).toBe(false);
    expect(out.some((v) => Number.isNaN(v))).toBe(true);
  });

  it('throws typed errors naming the argument', () => {
    const base = {
      structure: 'dense' as const,
      batch: 1,
      length: 3,
      size: 2,
      a: { data: new Float64Array(12) },
      b: { data: new Float64Array(6) },
      y: { data: new Float64Array(6) },
      processVariance: 1,
      observationVariance: 1,
      smooth: true,
      out: { data: new Float64Array(6) },
    };
    expect(() => kalmanScanSequential({ ...base, a: { data: new Float64Array(11) } })).toThrow(ShapeError);
    expect(() => kalmanScanSequential({ ...base, a: { data: new Float64Array(11) } })).toThrow(/^a: /);
    expect(() => kalmanScanSequential({ ...base, y: { data: new Float64Array(5) } })).toThrow(/^y: /);
    expect(() => kalmanScanSequential({ ...base, observationVariance: 0 })).toThrow(/observationVariance/);
    expect(() => kalmanScanSequential({ ...base, processVariance: Number.NaN })).toThrow(/processVariance/);
    expect(() => kalmanScanSequential({ ...base, y: { data: new Float32Array(6) } })).toThrow(DTypeError);
  });
});
