/**
 * The time discount of adaptive ELK: the trust region works on the merit Σ_t w_t² ‖r_t‖² with weights
 * w_t = 1 up to the first step whose residual misses the tolerance (the front t₀) and w_t = γ^{t − t₀} after it,
 * and damps the step with the same weights, λ Σ_t w_t² ‖δ_t‖² (Levenberg–Marquardt with a diagonal scaling).
 *
 * Why: on unstable cells the residual Jacobian J (I on the diagonal, −A_t below) has σ_min(J) ~ ρ^{−T}, so
 * the undiscounted merit ‖r‖² is flat along directions that matter and any step that must lower it stalls
 * (the exact LM step at fixed λ contracts those error components by only 1 − σ²/λ per iteration). In the
 * variables z_t = w_t s_t the linearisation becomes z_t = γA_t z_{t−1} + w_t b_t; choosing γ below the inverse
 * growth rate of the products of A_t
 * makes it contracting, so the discounted LM iteration is well conditioned. The solution is
 * unchanged (r = 0), the Newton step (λ → 0) is unchanged (J is square and invertible), and the scalar-variance
 * Kalman scan computes the exact discounted LM step on the scaled problem: A'_t = (w_t / w_{t−1}) A_t,
 * b'_t = w_t b_t, y'_t = w_t y_t, then s_t = z_t / w_t. Linearisations that do not grow get γ = 1 (no discount).
 *
 * Steps past the horizon, where w_t < 1e-16, are left unchanged in that iteration (δ_t = 0): there the
 * linearisation is not trusted (errors grow by 1/w_t² before reaching them) and steps would only blow up;
 * they are reached once the front moves on.
 */
import type { FloatArray } from '@antler/core';

/** The discount of one sequence for one iteration. Indices t are 0-based (t = 0 is s_1). */
export interface Discount {
  /** First step whose residual misses the tolerance (weights are 1 up to and including it); T when none. */
  readonly front: number;
  /** Per-step factor γ ∈ (0, 1] applied after the front. */
  readonly gamma: number;
  /** Steps t ≥ horizon are not updated (their weight would underflow); T when γ = 1. */
  readonly horizon: number;
}

/** Target contraction c of the discounted dynamics per step: γ = c / (per-step growth bound). */
export const DISCOUNT_CONTRACTION = 0.5;

/** Weights below this are treated as zero: the horizon of the discount (the window ahead of the front). */
export const DISCOUNT_MIN_WEIGHT = 1e-16;

/**
 * Applies the step-t linearisation J_t to `v` (n values), writing `out`: the exact A_t, or a finite-difference
 * Jacobian–vector product of the cell where the method only holds a diagonal.
 */
export type TangentMap = (t: number, v: Float64Array, out: Float64Array) => void;

/** Growth of a tangent vector carried along the linearisation (see {@link tangentGrowth}). */
export interface TangentGrowth {
  /** Mean exponent μ = (1/L) Σ ln ρ_t, ρ_t = ‖J_t v_{t−1}‖ / ‖v_{t−1}‖ (a finite-time Lyapunov exponent). */
  readonly mean: number;
  /** max_t ρ_t. */
  readonly max: number;
}

/**
 * Carries a tangent vector v (unit, all components equal at the start) along steps front + 1 … T − 1 and
 * returns its mean growth exponent and largest one-step growth. −∞ / 0 when there is nothing to carry or the
 * vector dies out; +∞ when it overflows.
 */
export function tangentGrowth(front: number, length: number, size: number, apply: TangentMap): TangentGrowth {
  const v = new Float64Array(size).fill(1 / Math.sqrt(size));
  const u = new Float64Array(size);
  let sum = 0;
  let max = 0;
  let count = 0;
  for (let t = front + 1; t < length; t++) {
    apply(t, v, u);
    let norm = 0;
    for (let i = 0; i < size; i++) norm += u[i] * u[i];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) return { mean: Number.NEGATIVE_INFINITY, max };
    if (!Number.isFinite(norm)) return { mean: Number.POSITIVE_INFINITY, max: Number.POSITIVE_INFINITY };
    sum += Math.log(norm);
    if (norm > max) max = norm;
    count++;
    for (let i = 0; i < size; i++) v[i] = u[i] / norm;
  }
  return { mean: count === 0 ? Number.NEGATIVE_INFINITY : sum / count, max };
}

/**
 * Chooses the discount of one sequence from its residual r_t = s_t − f_t and the growth of its linearisation.
 * The front t₀ is the first step whose residual misses atol + rtol·|s|. When a tangent vector carried after
 * the front does not grow on average (mean exponent ≤ 0: a stable stretch), γ = 1 — no discount, plain LM.
 * Otherwise γ = c / g with g a per-step growth bound: max_t ‖A_t‖∞ when `stepNorm` gives the dense A_t
 * (an induced norm, so the discounted dynamics contract by c per step), else the tangent's largest one-step
 * growth (a diagonal method holds no dense A_t).
 *
 * @param s - the iterate `[T][n]` at `so`.
 * @param f - f(s_{t−1}) `[T][n]` at `fo` (double).
 * @param apply - J_t applied to a vector.
 * @param stepNorm - ‖A_t‖∞ of step t, when the dense A_t is at hand.
 */
export function chooseDiscount(
  s: FloatArray,
  so: number,
  f: Float64Array,
  fo: number,
  length: number,
  size: number,
  atol: number,
  rtol: number,
  apply: TangentMap,
  stepNorm: ((t: number) => number) | null,
  contraction = DISCOUNT_CONTRACTION,
  minWeight = DISCOUNT_MIN_WEIGHT,
): Discount {
  const n = size;
  let front = length;
  for (let i = 0; i < length * n; i++) {
    const v = s[so + i];
    if (!(Math.abs(v - f[fo + i]) <= atol + rtol * Math.abs(v))) {
      front = Math.floor(i / n);
      break;
    }
  }
  let bound = 0;
  if (stepNorm) for (let t = front + 1; t < length; t++) bound = Math.max(bound, stepNorm(t));
  else bound = tangentGrowth(front, length, n, apply).max;
  // Non-expansive steps (bound ≤ 1): errors cannot grow, J is well conditioned, no discount needed.
  if (!(bound > 1) || (globalThis as { __NODISC?: boolean }).__NODISC)
    return { front, gamma: 1, horizon: length };
  const gamma = Number.isFinite(bound) ? contraction / bound : 0;
  const reach = gamma > 0 ? Math.ceil(Math.log(minWeight) / Math.log(gamma)) : 1;
  return { front, gamma, horizon: Math.min(length, front + 1 + reach) };
}

/** The weight w_t of step t (0-based) under `d`. */
export function discountWeight(d: Discount, t: number): number {
  return t <= d.front ? 1 : d.gamma ** (t - d.front);
}

/**
 * Writes the scaled linear model of steps 0 … horizon − 1 for the Kalman scan: A'_t = (w_t / w_{t−1}) A_t,
 * b'_t = w_t b_t, y'_t = w_t y_t (w_{−1} = 1, so s_0 is unscaled). Outputs are packed `[H][…]` at offset 0.
 */
export function scaleLinearisation(
  d: Discount,
  structure: 'dense' | 'diagonal',
  size: number,
  a: FloatArray,
  ao: number,
  b: FloatArray,
  bo: number,
  y: FloatArray,
  yo: number,
  aOut: FloatArray,
  bOut: FloatArray,
  yOut: FloatArray,
): void {
  const n = size;
  const aStep = structure === 'dense' ? n * n : n;
  for (let t = 0; t < d.horizon; t++) {
    const w = discountWeight(d, t);
    const ratio = t <= d.front ? 1 : d.gamma;
    for (let q = 0; q < aStep; q++) aOut[t * aStep + q] = ratio * a[ao + t * aStep + q];
    for (let i = 0; i < n; i++) {
      bOut[t * n + i] = w * b[bo + t * n + i];
      yOut[t * n + i] = w * y[yo + t * n + i];
    }
  }
}

/**
 * Maps the scan's output back: s_t = z_t / w_t for t < horizon, and s_t = y_t (no step) after it.
 * Writes `[T][n]` at `out`/`oo`.
 */
export function unscaleStep(
  d: Discount,
  length: number,
  size: number,
  z: FloatArray,
  y: FloatArray,
  yo: number,
  out: FloatArray,
  oo: number,
): void {
  const n = size;
  for (let t = 0; t < length; t++) {
    if (t >= d.horizon) {
      for (let i = 0; i < n; i++) out[oo + t * n + i] = y[yo + t * n + i];
      continue;
    }
    const w = discountWeight(d, t);
    for (let i = 0; i < n; i++) out[oo + t * n + i] = z[t * n + i] / w;
  }
}
