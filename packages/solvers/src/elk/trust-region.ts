/**
 * The adaptive damping of ELK: a Levenberg–Marquardt trust-region rule (Nielsen 1999) on the gain ratio
 * ρ = (actual reduction of ‖r‖²) / (reduction predicted by the linearised model). Good agreement shrinks
 * λ (towards plain Newton = DEER); poor agreement rejects the step and grows λ (towards a short, safe step).
 */

/** Per-sequence trust-region state. */
export interface TrustRegionState {
  lambda: number;
  /** Growth factor applied on the next rejection (doubles after each consecutive rejection). */
  nu: number;
}

/** Smallest and largest λ the rule will use. */
export const LAMBDA_MIN = 1e-12;
export const LAMBDA_MAX = 1e12;

/** Default starting λ (σ² = 100, the reference's best fixed value on the rotation case). */
export const DEFAULT_INITIAL_LAMBDA = 1e-2;

/**
 * The gain ratio of the natural monotonicity test (Deuflhard): ρ = 1 − ‖δ_new‖ / ‖δ_old‖, where δ = L_k⁻¹ r
 * is the Newton correction (L_k the linearised residual operator at the current iterate) evaluated at the
 * candidate and at the current iterate. Unlike a ‖r‖² ratio it is affine-invariant, so it does not stall
 * when L_k is badly conditioned — which it is on unstable recurrences (products of |J_t| > 1). ρ ≤ 0 (or
 * a non-finite correction) rejects the step.
 */
export function monotonicityRatio(
  dOld: ArrayLike<number>,
  dNew: ArrayLike<number>,
  offset: number,
  count: number,
): number {
  let a = 0;
  let b = 0;
  for (let i = offset; i < offset + count; i++) {
    a += dOld[i] * dOld[i];
    b += dNew[i] * dNew[i];
  }
  if (!Number.isFinite(b)) return Number.NEGATIVE_INFINITY;
  if (a === 0) return b === 0 ? 1 : Number.NEGATIVE_INFINITY;
  return 1 - Math.sqrt(b / a);
}

/**
 * The classical Levenberg–Marquardt gain ratio on ‖r‖² (kept for diagnostics). A non-finite trial residual, or an increase of ‖r‖², gives ρ ≤ 0 (reject).
 */
export function gainRatio(before: number, after: number, predicted: number): number {
  if (!Number.isFinite(after)) return Number.NEGATIVE_INFINITY;
  const actual = before - after;
  const pred = before - predicted;
  if (!(pred > 0)) return actual > 0 ? 1 : Number.NEGATIVE_INFINITY;
  return actual / pred;
}

/** Updates λ from ρ; returns true when the step is accepted (ρ > 0). */
export function updateTrustRegion(state: TrustRegionState, rho: number): boolean {
  if (rho > 0) {
    const c = 2 * rho - 1;
    state.lambda = Math.max(LAMBDA_MIN, state.lambda * Math.max(1 / 3, 1 - c * c * c));
    state.nu = 2;
    return true;
  }
  state.lambda = Math.min(LAMBDA_MAX, state.lambda * state.nu);
  state.nu *= 2;
  return false;
}
