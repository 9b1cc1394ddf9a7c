/**
 * The adaptive damping of ELK: a Levenberg–Marquardt trust-region rule on the merit ½‖r(s)‖², with
 * r_t(s) = s_t − f(s_{t−1}, x_t).
 *
 * The smoother variant's step δ minimises the linearised model ‖r + Jδ‖² + λ‖δ‖² exactly (J = ∂r/∂s is
 * block lower-bidiagonal: I on the diagonal, −A_t below), so its λ is the LM damping (observation variance
 * σ² = 1/λ, process variance 1). Each step is judged by the gain ratio
 *   ρ = (‖r(s)‖² − ‖r(s + δ)‖²) / (‖r(s)‖² − ‖r + Jδ‖²),
 * actual over predicted reduction of the merit; the predicted one comes from the same linearisation the
 * step was built from, computed exactly along the step (no λ term: the damping is not part of the merit).
 * A step that does not lower the merit is rejected — the iterate is kept — and λ grows; good agreement
 * shrinks λ towards 0 (plain DEER / quasi-DEER). The λ update is Nielsen's (1999).
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

/**
 * Default starting λ when the caller gives none, relative to the Jacobian scale: λ0 = τ·max_j (JᵀJ)_jj
 * with τ = {@link DEFAULT_LAMBDA_SCALE} (Nielsen's rule; see {@link initialLambdaFromJacobian}).
 */
export const DEFAULT_LAMBDA_SCALE = 1e-3;

/**
 * @deprecated The adaptive rule now scales its start to the Jacobian ({@link initialLambdaFromJacobian});
 * this value is only the λ0 of a Jacobian-free structure. Kept for callers of the previous release.
 */
export const DEFAULT_INITIAL_LAMBDA = 1e-2;

/**
 * λ0 = τ · max_j (JᵀJ)_jj for the residual Jacobian J of one sequence, whose column j (state component i at
 * step t) holds 1 on the diagonal and −A_{t+1}[·, i] below, so (JᵀJ)_jj = 1 + Σ_k A_{t+1}[k, i]².
 *
 * @param structure - layout of `a`: dense `[T][n][n]` or diagonal `[T][n]`.
 * @param a - the linearisation A_t of the sequence.
 * @param ao - offset of A_1 in `a`.
 * @param length - T.
 * @param size - n.
 * @param scale - τ (default {@link DEFAULT_LAMBDA_SCALE}).
 */
export function initialLambdaFromJacobian(
  structure: 'dense' | 'diagonal',
  a: ArrayLike<number>,
  ao: number,
  length: number,
  size: number,
  scale = DEFAULT_LAMBDA_SCALE,
): number {
  let max = 0;
  for (let t = 1; t < length; t++) {
    for (let i = 0; i < size; i++) {
      let col = 0;
      if (structure === 'diagonal') {
        const v = a[ao + t * size + i];
        col = v * v;
      } else {
        const base = ao + t * size * size;
        for (let k = 0; k < size; k++) {
          const v = a[base + k * size + i];
          col += v * v;
        }
      }
      if (col > max) max = col;
    }
  }
  const lambda = scale * (1 + max);
  return Number.isFinite(lambda) ? Math.min(LAMBDA_MAX, Math.max(LAMBDA_MIN, lambda)) : LAMBDA_MAX;
}

/**
 * The gain ratio ρ = (current − candidate) / (current − model) of the merit ‖r‖²: `current` at the
 * iterate, `candidate` the true merit at the proposed iterate, `model` the linearised model's ‖r + Jδ‖².
 * Returns −∞ when the candidate merit is not finite or the model predicts no reduction (a zero or
 * non-descent step), so such steps are always rejected.
 */
export function gainRatio(current: number, candidate: number, model: number): number {
  if (!Number.isFinite(candidate) || !Number.isFinite(model)) return Number.NEGATIVE_INFINITY;
  const predicted = current - model;
  if (!(predicted > 0)) return Number.NEGATIVE_INFINITY;
  return (current - candidate) / predicted;
}

/**
 * Updates λ from ρ (Nielsen 1999) and returns whether the step is accepted. A step is accepted only when
 * it lowers the merit (ρ > 0); then λ ← λ·max(1/3, 1 − (2ρ − 1)³). A rejected step multiplies λ by ν and
 * doubles ν, so consecutive rejections raise λ fast until the step is short enough to be trusted.
 */
export function updateTrustRegion(state: TrustRegionState, rho: number): boolean {
  if (rho > 0) {
    const c = 2 * rho - 1;
    state.lambda = Math.max(LAMBDA_MIN, state.lambda * Math.max(1 / 3, 1 - c * c * c));
    state.nu = 2;
    return true;
  }
  state.lambda = Math.min(LAMBDA_MAX, state.lambda * state.nu);
  state.nu = Math.min(state.nu * 2, 2 ** 30);
  return false;
}
