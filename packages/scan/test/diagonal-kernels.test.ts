/**
 * The diagonal kernels' fast paths (four-step composition for one lane, flat loops over steps × lanes,
 * the unrolled single-lane reduce), against plain float64 loops written
 * here: every lane count that selects a different path, every remainder of the unrolling, both
 * directions, strided and offset operands, both dtypes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { affineChunkAggregate, affineKernelsFor, diagonalScanSequential } from '../src/index.js';
import { rng, uniform } from './helpers/random.js';
import { maxRelError } from './helpers/views.js';

/** s_t = a_t s_{t∓1} + b_t per lane, in float64, over contiguous [T][n] arrays. */
function referenceDiagonal(
  T: number,
  n: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  s0: ArrayLike<number> | null,
  reverse: boolean,
): Float64Array {
  const out = new Float64Array(T * n);
  for (let i = 0; i < n; i++) {
    let s = s0 ? s0[i] : 0;
    for (let k = 0; k < T; k++) {
      const t = reverse ? T - 1 - k : k;
      s = a[t * n + i] * s + b[t * n + i];
      out[t * n + i] = s;
    }
  }
  return out;
}

const LANES = [1, 2, 3, 4, 5, 7, 8, 9, 16];

describe('diagonalScanSequential fast paths', () => {
  it('matches the float64 loop for every lane count, length remainder, direction, stride and offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LANES),
        fc.integer({ min: 0, max: 41 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom('float64' as const, 'float32' as const),
        fc.integer({ min: 1, max: 1e9 }),
        (n, T, reverse, withS0, offset, gap, dtype, seed) => {
          const rand = rng(seed);
          const a = uniform(rand, T * n, -1.2, 1.2);
          const b = uniform(rand, T * n);
          const s0 = withS0 ? uniform(rand, n) : null;
          // Operands laid out with `gap` extra elements per step and `offset` leading ones.
          const stride = n + gap;
          const Arr = dtype === 'float64' ? Float64Array : Float32Array;
          const pa = new Arr(offset + T * stride + 1);
          const pb = new Arr(offset + T * stride + 1);
          const po = new Arr(offset + T * stride + 1).fill(-7);
          for (let t = 0; t < T; t++)
            for (let i = 0; i < n; i++) {
              pa[offset + t * stride + i] = a[t * n + i];
              pb[offset + t * stride + i] = b[t * n + i];
            }
          // The reference sees the operands as stored (float32-rounded for float32).
          const ref = referenceDiagonal(
            T,
            n,
            Float64Array.from({ length: T * n }, (_, j) => pa[offset + Math.floor(j / n) * stride + (j % n)]),
            Float64Array.from({ length: T * n }, (_, j) => pb[offset + Math.floor(j / n) * stride + (j % n)]),
            s0 && Float64Array.from(new Arr(s0)),
            reverse,
          );
          const finite = affineKernelsFor(dtype).diagonal(
            T,
            n,
            { data: pa, offset, stride },
            { data: pb, offset, stride },
            s0 && new Arr(s0),
            0,
            { data: po, offset, stride },
            reverse,
          );
          expect(finite).toBe(true);
          const got = new Float64Array(T * n);
          for (let t = 0; t < T; t++)
            for (let i = 0; i < n; i++) got[t * n + i] = po[offset + t * stride + i];
          expect(maxRelError(got, ref)).toBeLessThanOrEqual(dtype === 'float64' ? 1e-12 : 2e-5);
          // Nothing outside the steps was written.
          for (let j = 0; j < offset; j++) expect(po[j]).toBe(-7);
          for (let t = 0; t < T; t++)
            for (let i = n; i < stride; i++) expect(po[offset + t * stride + i]).toBe(-7);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays within 1e-12 of the float64 loop over a million contracting and expanding steps (n = 1)', () => {
    const T = 1_000_003;
    const rand = rng(11);
    // |a| up to 1.05: long stretches of growth, so the states are far from 1 and rounding is visible.
    const a = uniform(rand, T, -1.05, 1.05);
    const b = uniform(rand, T);
    for (const reverse of [false, true]) {
      const ref = referenceDiagonal(T, 1, a, b, [0.3], reverse);
      const out = new Float64Array(T);
      const op = (data: Float64Array) => ({ data, offset: 0, stride: 1 });
      diagonalScanSequential(T, 1, op(a), op(b), Float64Array.of(0.3), 0, op(out), reverse);
      let worst = 0;
      for (let t = 0; t < T; t++)
        worst = Math.max(worst, Math.abs(out[t] - ref[t]) / Math.max(1, Math.abs(ref[t])));
      expect(worst).toBeLessThanOrEqual(1e-12);
    }
  });

  it('reports a NaN or overflow at any position of any lane, and only then', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LANES),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.nat(),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0),
        (n, T, reverse, where, bad) => {
          const a = new Float64Array(T * n).fill(0.5);
          const b = new Float64Array(T * n).fill(1);
          b[where % (T * n)] = bad;
          const out = new Float64Array(T * n);
          const op = (data: Float64Array) => ({ data, offset: 0, stride: n });
          const finite = diagonalScanSequential(T, n, op(a), op(b), null, 0, op(out), reverse);
          expect(finite).toBe(bad === 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('affineChunkAggregate (diagonal)', () => {
  it('composes any run of steps into the map s ↦ M s + c of the float64 loop', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 5, 8),
        fc.integer({ min: 1, max: 41 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e9 }),
        (n, T, reverse, seed) => {
          const rand = rng(seed);
          const a = uniform(rand, T * n, -1.2, 1.2);
          const b = uniform(rand, T * n);
          const m = new Float64Array(n + 2).fill(9);
          const c = new Float64Array(n + 2).fill(9);
          const op = (data: Float64Array) => ({ data, offset: 0, stride: n });
          affineChunkAggregate(0, T, n, 1, op(a), op(b), reverse, false, m, 1, c, 1, new Float64Array(4));
          // M = ∏ a_t; c = the scan from a zero start, its last state.
          const zero = referenceDiagonal(T, n, a, b, null, reverse);
          const last = reverse ? 0 : (T - 1) * n;
          for (let i = 0; i < n; i++) {
            let prod = 1;
            for (let t = 0; t < T; t++) prod *= a[t * n + i];
            expect(Math.abs(m[1 + i] - prod)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(prod)));
            expect(Math.abs(c[1 + i] - zero[last + i])).toBeLessThanOrEqual(
              1e-12 * Math.max(1, Math.abs(zero[last + i])),
            );
          }
          // Untouched around the output slots.
          expect([m[0], m[n + 1], c[0], c[n + 1]]).toEqual([9, 9, 9, 9]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
