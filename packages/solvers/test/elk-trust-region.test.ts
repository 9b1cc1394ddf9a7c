import { describe, expect, it } from 'vitest';
import {
  chooseDiscount,
  DEFAULT_LAMBDA_SCALE,
  DISCOUNT_CONTRACTION,
  discountWeight,
  gainRatio,
  initialLambdaFromJacobian,
  newtonCorrectionWithinTolerance,
  scaleLinearisation,
  type TrustRegionState,
  unscaleStep,
  updateTrustRegion,
} from '../src/index.js';
import { rng, uniform } from './gradient-fixtures.js';

describe('trust region: gain ratio and λ update', () => {
  it('ρ is actual over predicted reduction; a worse candidate is rejected and λ grows', () => {
    // current 4, model predicts 1 (reduction 3), actual 2.5 (reduction 1.5): ρ = 0.5.
    expect(gainRatio(4, 2.5, 1)).toBeCloseTo(0.5, 15);
    const st: TrustRegionState = { lambda: 1, nu: 2 };
    expect(updateTrustRegion(st, gainRatio(4, 5, 1))).toBe(false);
    expect(st.lambda).toBe(2);
    expect(updateTrustRegion(st, -1)).toBe(false);
    expect(st.lambda).toBe(8); // ν doubles after each consecutive rejection
    expect(updateTrustRegion(st, 1)).toBe(true); // perfect agreement: λ / 3, ν reset
    expect(st.lambda).toBeCloseTo(8 / 3, 15);
    expect(st.nu).toBe(2);
  });

  it('non-finite candidates and non-descent models give ρ = −∞', () => {
    expect(gainRatio(1, Number.NaN, 0)).toBe(Number.NEGATIVE_INFINITY);
    expect(gainRatio(1, Number.POSITIVE_INFINITY, 0)).toBe(Number.NEGATIVE_INFINITY);
    expect(gainRatio(1, 0.5, 1)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('λ0 = τ·(1 + max column norm² of the A_t below the diagonal of J)', () => {
    const T = 3;
    const n = 2;
    // A_1 is not in J (s_0 is given); A_2 = [[1, 0], [3, 0]] has column 0 norm² 10.
    const a = new Float64Array([9, 9, 9, 9, 1, 0, 3, 0, 0.5, 0, 0, 0.5]);
    expect(initialLambdaFromJacobian('dense', a, 0, T, n)).toBeCloseTo(DEFAULT_LAMBDA_SCALE * 11, 15);
    const d = new Float64Array([9, 9, 2, 0, 0.1, 0.1]);
    expect(initialLambdaFromJacobian('diagonal', d, 0, T, n)).toBeCloseTo(DEFAULT_LAMBDA_SCALE * 5, 15);
  });
});

describe('time discount of adaptive ELK', () => {
  const T = 6;
  const n = 2;
  const identityTangent = (_t: number, v: Float64Array, out: Float64Array) => out.set(v);

  it('finds the front and leaves non-expansive linearisations undiscounted', () => {
    const s = new Float64Array(T * n);
    const f = new Float64Array(T * n);
    f[2 * n + 1] = 1e-3; // residual of step t = 2 misses atol 1e-6
    const d = chooseDiscount(s, 0, f, 0, T, n, 1e-6, 0, identityTangent, () => 0.9);
    expect(d).toEqual({ front: 2, gamma: 1, horizon: T });
  });

  it('expanding steps get γ = c / max‖A_t‖∞, weights 1 up to the front, a horizon where they reach 1e-16', () => {
    const s = new Float64Array(T * n);
    const f = new Float64Array(T * n);
    f[1] = 1; // front at t = 0
    const d = chooseDiscount(s, 0, f, 0, T, n, 1e-6, 0, identityTangent, (t) => (t === 3 ? 4 : 2));
    expect(d.front).toBe(0);
    expect(d.gamma).toBeCloseTo(DISCOUNT_CONTRACTION / 4, 15);
    expect(d.horizon).toBe(T); // (1/8)^5 > 1e-16: every step is inside
    expect(discountWeight(d, 0)).toBe(1);
    expect(discountWeight(d, 3)).toBeCloseTo(d.gamma ** 3, 15);
  });

  it('scaling then unscaling returns the same trajectory; steps past the horizon are not moved', () => {
    const d = { front: 1, gamma: 0.25, horizon: 4 };
    const r = rng(3);
    const a = uniform(T * n * n, 1, r);
    const b = uniform(T * n, 1, r);
    const y = uniform(T * n, 1, r);
    const aS = new Float64Array(T * n * n);
    const bS = new Float64Array(T * n);
    const yS = new Float64Array(T * n);
    scaleLinearisation(d, 'dense', n, a, 0, b, 0, y, 0, aS, bS, yS);
    // A'_t = (w_t / w_{t−1}) A_t: unchanged up to the front, γ·A_t after it.
    expect(aS[n * n]).toBe(a[n * n]);
    expect(aS[2 * n * n]).toBeCloseTo(0.25 * a[2 * n * n], 15);
    expect(bS[3 * n]).toBeCloseTo(0.25 ** 2 * b[3 * n], 15);
    const out = new Float64Array(T * n);
    const moved = new Float64Array(T * n).fill(7);
    unscaleStep(d, T, n, yS, moved, 0, out, 0);
    for (let i = 0; i < 4 * n; i++) expect(out[i]).toBeCloseTo(y[i], 14);
    for (let i = 4 * n; i < T * n; i++) expect(out[i]).toBe(7);
  });
});

describe('Newton-correction certificate of approximate methods', () => {
  // A linear cell s_t = M s_{t−1} + x_t, so finite-difference JVPs are exact: the Newton correction of an
  // iterate s = s* + e is exactly −e.
  const n = 2;
  const M = [1.5, 0.4, -0.3, 1.2];
  const step = (
    h: ArrayLike<number>,
    ho: number,
    x: ArrayLike<number>,
    xo: number,
    o: Float64Array | Float32Array,
    oo: number,
  ) => {
    for (let i = 0; i < n; i++) o[oo + i] = M[i * n] * h[ho] + M[i * n + 1] * h[ho + 1] + x[xo + i];
  };
  const T = 8;
  const x = uniform(T * n, 1, rng(5));
  const exact = new Float64Array(T * n);
  for (let t = 0; t < T; t++)
    step(t === 0 ? [0, 0] : exact, t === 0 ? 0 : (t - 1) * n, x, t * n, exact, t * n);

  function certify(error: number, at: number, atol: number): boolean {
    const s = Float64Array.from(exact);
    s[at] += error;
    const f = new Float64Array(T * n);
    for (let t = 0; t < T; t++) step(t === 0 ? [0, 0] : s, t === 0 ? 0 : (t - 1) * n, x, t * n, f, t * n);
    return newtonCorrectionWithinTolerance(step, s, 0, f, 0, x, 0, T, n, n, atol, 0);
  }

  it('accepts an iterate whose true error is below the tolerance and rejects one above it', () => {
    // An error at s_1 leaves a residual only at steps 1 and 2, yet it is the error that is checked.
    expect(certify(0.9e-6, 0, 1e-6)).toBe(true);
    expect(certify(1.1e-6, 0, 1e-6)).toBe(false);
    expect(certify(1.1e-6, 5 * n + 1, 1e-6)).toBe(false);
    expect(certify(0, 0, 1e-12)).toBe(true);
  });
});
