/** The Adam optimiser over named parameter tensors (updated in place). */
import { checkFinite, type GradientMap, ShapeError, type TensorMap } from '@antler/core';

/** Settings of {@link Adam}. */
export interface AdamOptions {
  /** Step size α; default 1e-3. */
  readonly learningRate?: number;
  /** First-moment decay β₁; default 0.9. */
  readonly beta1?: number;
  /** Second-moment decay β₂; default 0.999. */
  readonly beta2?: number;
  /** ε added to √v̂; default 1e-8. */
  readonly epsilon?: number;
  /**
   * Rescale the gradient to this global L2 norm when it is larger (off by default). Every rescaling is
   * reported in {@link AdamStepReport.clipped}.
   */
  readonly maxGradientNorm?: number;
}

/** What one optimiser step did. */
export interface AdamStepReport {
  /** Global L2 norm of the gradient before any rescaling. */
  readonly gradientNorm: number;
  /** True when the gradient was rescaled to `maxGradientNorm`. */
  readonly clipped: boolean;
}

/**
 * Adam (Kingma & Ba 2015) with bias correction. Owns the moment buffers for each named parameter and
 * updates `params[name].data` in place, so cells that read their parameter arrays see the new values.
 *
 * @example
 * ```ts
 * import { Adam } from '@antler/solvers';
 * const params = { w: { shape: [2], data: new Float64Array([1, -1]) } };
 * const adam = new Adam(params, { learningRate: 0.1 });
 * adam.step({ w: new Float64Array([0.5, -0.5]) }); // w ≈ [0.9, -0.9]
 * ```
 */
export class Adam {
  private readonly params: TensorMap;
  private readonly m: GradientMap = {};
  private readonly v: GradientMap = {};
  private t = 0;
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly maxGradientNorm: number | undefined;

  constructor(params: TensorMap, options: AdamOptions = {}) {
    this.params = params;
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.maxGradientNorm = options.maxGradientNorm;
    for (const [key, value] of [
      ['learningRate', this.learningRate],
      ['beta1', this.beta1],
      ['beta2', this.beta2],
      ['epsilon', this.epsilon],
    ] as const) {
      if (!(value >= 0) || !Number.isFinite(value))
        throw new ShapeError(key, 'a finite number ≥ 0', String(value));
    }
    for (const [name, t] of Object.entries(params)) {
      this.m[name] = new Float64Array(t.data.length);
      this.v[name] = new Float64Array(t.data.length);
    }
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * Applies one update with `grads` (same names and lengths as the parameters; names absent from `grads`
   * are left unchanged). Throws a NonFiniteError naming the parameter on a NaN/∞ gradient.
   */
  step(grads: GradientMap): AdamStepReport {
    let sq = 0;
    for (const [name, g] of Object.entries(grads)) {
      const p = this.params[name];
      if (p === undefined)
        throw new ShapeError(
          `grads.${name}`,
          `one of ${Object.keys(this.params).join(', ')}`,
          'an unknown name',
        );
      if (g.length !== p.data.length)
        throw new ShapeError(`grads.${name}`, `${p.data.length} elements`, `length ${g.length}`);
      checkFinite(`grads.${name}`, g);
      for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
    }
    const norm = Math.sqrt(sq);
    const clipped = this.maxGradientNorm !== undefined && norm > this.maxGradientNorm;
    const scale = clipped ? (this.maxGradientNorm ?? norm) / norm : 1;
    this.t += 1;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const lr = this.learningRate;
    for (const [name, g] of Object.entries(grads)) {
      const p = this.params[name].data;
      const m = this.m[name];
      const v = this.v[name];
      for (let i = 0; i < g.length; i++) {
        const gi = g[i] * scale;
        const mi = b1 * m[i] + (1 - b1) * gi;
        const vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
    return { gradientNorm: norm, clipped };
  }
}
