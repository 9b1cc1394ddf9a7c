import type { KalmanScanArgs } from '@antler/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brentKungSchedule, kalmanScanParallel, kalmanScanSequential } from '../src/index.js';
import { rng, uniform } from './helpers/random.js';
import { fromView, maxRelError, toView } from './helpers/views.js';

describe('parallel Kalman filter and smoother (Särkkä & García-Fernández)', () => {
  it('the Brent–Kung schedule computes every inclusive prefix (checked on string concatenation, which is associative but not commutative)', () => {
    for (let T = 1; T <= 40; T++) {
      const x = Array.from({ length: T }, (_, i) => String.fromCharCode(65 + (i % 26)));
      const expected = x.map((_, i) => x.slice(0, i + 1).join(''));
      brentKungSchedule(T, (l, r) => {
        x[r] = x[l] + x[r];
      });
      expect(x).toEqual(expected);
    }
  });

  for (const structure of ['diagonal', 'dense'] as const) {
    it(`${structure}: equals the sequential Kalman filter and RTS smoother to 1e-10 on random stable systems`, () => {
      fc.assert(
        fc.property(
          fc.record({
            batch: fc.integer({ min: 1, max: 2 }),
            length: fc.oneof(fc.constantFrom(1, 2, 3, 97, 128, 257), fc.integer({ min: 1, max: 150 })),
            size: fc.integer({ min: 1, max: structure === 'dense' ? 5 : 9 }),
            logQ: fc.integer({ min: -2, max: 1 }),
            logR: fc.integer({ min: -3, max: 6 }),
            withS0: fc.boolean(),
            strided: fc.boolean(),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          (c) => {
            const rand = rng(c.seed);
            const { batch: B, length: T, size: n } = c;
            const step = structure === 'dense' ? n * n : n;
            // Stable: spectral radius below ~0.95.
            const scale = structure === 'dense' ? 0.95 / Math.sqrt(n) : 0.95;
            const pad = c.strided ? { offset: 2, time: 1, batch: 3 } : undefined;
            const args: Omit<KalmanScanArgs, 'smooth' | 'out'> = {
              structure,
              batch: B,
              length: T,
              size: n,
              a: toView('float64', uniform(rand, B * T * step, -scale, scale), B, T, step, pad),
              b: toView('float64', uniform(rand, B * T * n), B, T, n, pad),
              y: toView('float64', uniform(rand, B * T * n, -3, 3), B, T, n, pad),
              s0: c.withS0 ? toView('float64', uniform(rand, B * n), B, 1, n, pad) : null,
              processVariance: 10 ** c.logQ,
              observationVariance: 10 ** c.logR,
            };
            for (const smooth of [false, true]) {
              const outP = toView('float64', new Float64Array(B * T * n), B, T, n, pad);
              const outS = toView('float64', new Float64Array(B * T * n), B, T, n, pad);
              expect(kalmanScanParallel({ ...args, smooth, out: outP }).finite).toBe(true);
              expect(kalmanScanSequential({ ...args, smooth, out: outS }).finite).toBe(true);
              expect(maxRelError(fromView(outP, B, T, n), fromView(outS, B, T, n))).toBeLessThanOrEqual(
                1e-10,
              );
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  it('float32 storage matches the sequential filter to float32 rounding', () => {
    const rand = rng(5);
    const T = 64;
    const n = 3;
    const mk = (x: Float64Array) => ({ data: Float32Array.from(x) });
    const args = {
      structure: 'dense' as const,
      batch: 1,
      length: T,
      size: n,
      a: mk(uniform(rand, T * n * n, -0.5, 0.5)),
      b: mk(uniform(rand, T * n)),
      y: mk(uniform(rand, T * n)),
      processVariance: 1,
      observationVariance: 0.1,
      smooth: true,
    };
    const p = new Float32Array(T * n);
    const s = new Float32Array(T * n);
    kalmanScanParallel({ ...args, out: { data: p } });
    kalmanScanSequential({ ...args, out: { data: s } });
    expect(maxRelError(p, s)).toBeLessThan(1e-6);
  });

  it('reports a NaN observation as a non-finite result', () => {
    const out = new Float64Array(4);
    const rep = kalmanScanParallel({
      structure: 'diagonal',
      batch: 1,
      length: 4,
      size: 1,
      a: { data: new Float64Array([0.5, 0.5, 0.5, 0.5]) },
      b: { data: new Float64Array(4) },
      y: { data: new Float64Array([1, Number.NaN, 1, 1]) },
      processVariance: 1,
      observationVariance: 1,
      smooth: true,
      out: { data: out },
    });
    expect(rep.finite).toBe(false);
  });
});
