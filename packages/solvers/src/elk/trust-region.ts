/**
 * The adaptive damping of ELK: a Levenberg–Marquardt trust-region rule (Nielsen 1999) on the gain ratio
 * ρ = (actual reduction of ‖r‖²) / (reduction predicted by the linearised model). Good agreement shrinks
 * λ (towards plain Newton = DEER); poor agreement rejects the step and grows λ (towards a short, safe step).
 */

/** Per-sequence trust-region state. */
export interface TrustRegionState {
  /** The current damping λ = 1/σ². */
  lambda: number;
  /** Growth factor applied on the next rejection (doubles after each consecutive rejection). */
  nu: number;
}

/** Smallest λ the adaptive rule will use (practically undamped DEER / quasi-DEER). */
export const LAMBDA_MIN = 1e-12;
/** Largest λ the adaptive rule will use (a step of practically zero length). */
export const LAMBDA_MAX = 1e12;

/** Default starting λ (σ² = 100, the reference's best fixed value on the rotation case). */
export const DEFAULT_INITIAL_LAMBDA = 1e-2;

/**
 * The gain ratio of the adaptive rule: ρ = 1 − ‖r(c) − r_lin(c)‖ / ‖r(s)‖, where s is the current iterate,
 * c the damped step's candidate, r the true residual and r_lin the residual of the linearised model at s.
 * ρ is 1 when the linearisation is exact along the step and ≤ 0 when its error is as large as the residual
 * being removed; the step is then rejected and λ raised, which shortens the step until the linearisation
 * can be trusted (the error is quadratic in the step, so a large enough λ is always accepted).
 *
 * Why not the classical ratio (actual / predicted reduction of ‖r‖²): on unstable recurrences the residual
 * operator is badly conditioned (products of |J_t| > 1), ‖r‖² has long flat valleys, and requiring it to
 * decrease stalls both the exact LM step and the filter variant (measured on golden case B: ‖r‖ stuck at
 * 0.55 for every λ from 1e-6 to 1), while the iteration itself converges when allowed to be non-monotone.
 */
export function agreementRatio(modelErrorSquares: number, residualSquares: number): number {
  if (!Number.isFinite(modelErrorSquares)) return Number.NEGATIVE_INFINITY;
  if (residualSquares === 0) return modelErrorSquares === 0 ? 1 : Number.NEGATIVE_INFINITY;
  return 1 - Math.sqrt(modelErrorSquares / residualSquares);
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
