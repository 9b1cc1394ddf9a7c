import { ShapeError } from '@antler/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affinePrefixProducts } from '../src/index.js';
import { rng, uniform } from './helpers/random.js';
import { referenceAffineScan } from './helpers/reference.js';
import { fromView, maxRelError, toView } from './helpers/views.js';

/** Dense n×n op(A_t) of one step from any layout (independent expansion). */
function denseOp(structure: string, n: number, k: number, a: Float64Array, base: number, transpose: boolean) {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const [r, c] = transpose ? [j, i] : [i, j];
      let v = 0;
      if (structure === 'dense') v = a[base + r * n + c];
      else if (structure === 'diagonal') v = r === c ? a[base + r] : 0;
      else if (Math.floor(r / k) === Math.floor(c / k)) {
        const p = Math.floor(r / k);
        v = a[base + p * k * k + (r - p * k) * k + (c - p * k)];
      }
      m[i * n + j] = v;
    }
  return m;
}

describe('affinePrefixProducts', () => {
  it('P_t applied to s0 equals the scan from s0 minus the scan from zero (every structure, both directions)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('dense', 'diagonal', 'block') as fc.Arbitrary<'dense' | 'diagonal' | 'block'>,
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e9 }),
        (structure, T, m, reverse, transpose, seed) => {
          const rand = rng(seed);
          const k = structure === 'block' ? 2 : 1;
          const n = m * k;
          const step = structure === 'dense' ? n * n : structure === 'diagonal' ? n : n * k;
          const a = uniform(rand, T * step, -0.9, 0.9);
          const out = toView('float64', new Float64Array(T * step), 1, T, step, {
            offset: 1,
            time: 2,
            batch: 0,
          });
          const rep = affinePrefixProducts({
            structure,
            blockSize: k,
            batch: 1,
            length: T,
            size: n,
            a: toView('float64', a, 1, T, step),
            out,
            reverse,
            transpose,
          });
          expect(rep.finite).toBe(true);
          const P = fromView(out, 1, T, step);
          const s0 = uniform(rand, n);
          const b = new Float64Array(T * n);
          const withS0 = referenceAffineScan(structure, k, 1, T, n, a, b, s0, reverse, transpose);
          // s_t = P_t s0 when b = 0: check every t through the dense expansion of P_t.
          const got = new Float64Array(T * n);
          for (let t = 0; t < T; t++) {
            const Pt = denseOp(structure, n, k, P, t * step, false);
            for (let i = 0; i < n; i++) {
              let s = 0;
              for (let j = 0; j < n; j++) s += Pt[i * n + j] * s0[j];
              got[t * n + i] = s;
            }
          }
          expect(maxRelError(got, withS0)).toBeLessThanOrEqual(1e-13);
        },
      ),
      { numRuns: 60 },
    );
    // The expansion helper itself is exercised on a known product.
    expect(Array.from(denseOp('diagonal', 2, 1, Float64Array.from([2, 3]), 0, false))).toEqual([2, 0, 0, 3]);
  });

  it('rejects an output aliasing the operators and wrong shapes', () => {
    const a = new Float64Array(4);
    expect(() =>
      affinePrefixProducts({
        structure: 'diagonal',
        batch: 1,
        length: 4,
        size: 1,
        a: { data: a },
        out: { data: a },
      }),
    ).toThrow(ShapeError);
    expect(() =>
      affinePrefixProducts({
        structure: 'dense',
        batch: 1,
        length: 2,
        size: 2,
        a: { data: new Float64Array(7) },
        out: { data: new Float64Array(8) },
      }),
    ).toThrow(/^a: /);
  });
});
