import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createExpmWorkspace, expm, expmInto, phi1, phi2 } from '../src/index.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function matmul(n: number, a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}

describe('expm (scaling and squaring, [6/6] Padé)', () => {
  it('gives rotation matrices for skew-symmetric 2×2 generators, small and large angles', () => {
    for (const theta of [1e-8, 0.3, 1, 3, 50, 1000]) {
      const e = expm(2, [0, theta, -theta, 0]);
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      // Squaring amplifies round-off roughly in proportion to the angle.
      expect(maxAbsDiff(e, [c, s, -s, c])).toBeLessThan(1e-14 * Math.max(1, theta));
    }
  });

  it('exponentiates diagonal matrices elementwise', () => {
    const d = [-30, -1, 0, 0.5, 7];
    const a = new Float64Array(25);
    d.forEach((v, i) => {
      a[i * 5 + i] = v;
    });
    const e = expm(5, a);
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++) {
        const want = i === j ? Math.exp(d[i]) : 0;
        expect(Math.abs(e[i * 5 + j] - want)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(want)));
      }
  });

  it('matches the finite series of a nilpotent matrix (strictly upper triangular)', () => {
    const n = 4;
    const a = new Float64Array([0, 2, -1, 3, 0, 0, 4, 1, 0, 0, 0, -2, 0, 0, 0, 0]);
    // e^N = I + N + N²/2 + N³/6 exactly, N⁴ = 0.
    const n2 = matmul(n, a, a);
    const n3 = matmul(n, n2, a);
    const want = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) want[i] = a[i] + n2[i] / 2 + n3[i] / 6;
    for (let i = 0; i < n; i++) want[i * n + i] += 1;
    expect(maxAbsDiff(expm(n, a), want)).toBeLessThan(1e-13);
  });

  it('matches the closed form of a 2×2 Jordan block λI + N', () => {
    const lambda = -2.5;
    const e = expm(2, [lambda, 1, 0, lambda]);
    const el = Math.exp(lambda);
    expect(maxAbsDiff(e, [el, el, 0, el])).toBeLessThan(1e-15);
  });

  it('property: e^A e^{−A} = I and e^{A} = (e^{A/2})² for random matrices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 36, maxLength: 36 }),
        (n, values) => {
          const a = Float64Array.from(values.slice(0, n * n));
          const neg = a.map((v) => -v);
          const half = a.map((v) => v / 2);
          const ea = expm(n, a);
          const prod = matmul(n, ea, expm(n, neg));
          const id = new Float64Array(n * n);
          for (let i = 0; i < n; i++) id[i * n + i] = 1;
          const scale = Math.max(1, ...Array.from(ea, Math.abs));
          const eh = expm(n, half);
          return (
            maxAbsDiff(prod, id) < 1e-11 * scale * scale && maxAbsDiff(matmul(n, eh, eh), ea) < 1e-11 * scale
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes at offsets and reports non-finite input', () => {
    const out = new Float64Array(6);
    const ws = createExpmWorkspace(2);
    expect(expmInto(2, [9, 0, 0.5, 0, 0.5], 1, out, 2, ws)).toBe(true);
    // [[0, .5], [0, .5]]: e = [[1, e^{.5} − 1], [0, e^{.5}]].
    expect(maxAbsDiff(out.subarray(2), [1, Math.exp(0.5) - 1, 0, Math.exp(0.5)])).toBeLessThan(1e-15);
    expect(out[0]).toBe(0);
    expect(expmInto(2, [Number.NaN, 0, 0, 0], 0, out, 0, ws)).toBe(false);
  });
});

describe('φ-functions', () => {
  it('φ₁ and φ₂ match their closed forms away from 0 and their series near 0', () => {
    for (const z of [-40, -3, -0.5, 0.09, 0.2, 1, 5]) {
      expect(phi1(z)).toBeCloseTo((Math.exp(z) - 1) / z, 13);
      expect(Math.abs(phi2(z) - (Math.exp(z) - 1 - z) / (z * z))).toBeLessThan(1e-12 * Math.max(1, phi2(z)));
    }
    for (const z of [0, 1e-12, -1e-7, 0.05, -0.099]) {
      // Series Σ z^k/(k+1)! and Σ z^k/(k+2)! summed to 25 terms in the test.
      let s1 = 0;
      let s2 = 0;
      let fact1 = 1;
      let fact2 = 2;
      for (let k = 0; k < 25; k++) {
        s1 += z ** k / fact1;
        s2 += z ** k / fact2;
        fact1 *= k + 2;
        fact2 *= k + 3;
      }
      expect(Math.abs(phi1(z) - s1)).toBeLessThan(1e-15);
      expect(Math.abs(phi2(z) - s2)).toBeLessThan(1e-15);
    }
  });
});
