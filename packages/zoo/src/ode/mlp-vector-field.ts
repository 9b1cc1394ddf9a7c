/** The NeuralODE vector field f(y, x, t) = MLP([y; x; t]) with its exact Jacobian and parameter VJP. */
import { checkInteger, type FloatArray, type GradientMap, type TensorMap } from '@antler/core';
import type { OdeActivation } from './activation.js';
import { MlpKernel, mlpBiasName, mlpWeightName, resolveMlpParameters } from './mlp.js';
import type { OdeVectorField } from './ode-vector-field.js';

/** Options of {@link createMlpVectorField}. */
export interface MlpVectorFieldOptions {
  /** State size n. */
  readonly stateSize: number;
  /** Input size m (default 0). */
  readonly inputSize?: number;
  /** Hidden widths, e.g. `[64, 64]`. */
  readonly hidden: readonly number[];
  /** One activation for all hidden layers, or one per hidden layer; default `'tanh'`. */
  readonly activation?: OdeActivation | readonly OdeActivation[];
  /** Feed t as an extra input feature (non-autonomous field); default false. */
  readonly timeFeature?: boolean;
  /** Parameters `layers.{l}.weight` / `layers.{l}.bias`; missing ones are drawn from `seed`. */
  readonly parameters?: TensorMap;
  /** Seed of the default initialisation; default 0. */
  readonly seed?: number;
}

/**
 * A NeuralODE MLP vector field. Evaluation reuses internal caches, so one instance must not be used
 * from two threads at once.
 */
export class MlpVectorField implements OdeVectorField {
  readonly stateSize: number;
  readonly inputSize: number;
  readonly timeFeature: boolean;
  /** True unless t is an input feature. */
  readonly autonomous: boolean;
  readonly parameters: TensorMap;
  private readonly mlp: MlpKernel;
  private readonly colsA: Float64Array;
  private readonly colsB: Float64Array;
  private readonly full: Float64Array;
  private readonly delta: Float64Array;
  private readonly back: Float64Array;

  constructor(options: MlpVectorFieldOptions) {
    const n = checkInteger(options.stateSize, 'stateSize', 1);
    const m = checkInteger(options.inputSize ?? 0, 'inputSize', 0);
    this.stateSize = n;
    this.inputSize = m;
    this.timeFeature = options.timeFeature ?? false;
    this.autonomous = !this.timeFeature;
    const hidden = options.hidden.map((w, i) => checkInteger(w, `hidden[${i}]`, 1));
    const act = options.activation ?? 'tanh';
    const activations = typeof act === 'string' ? hidden.map(() => act) : [...act];
    const spec = { widths: [n + m + (this.timeFeature ? 1 : 0), ...hidden, n], activations };
    this.parameters = resolveMlpParameters(spec, options.parameters, options.seed ?? 0);
    this.mlp = new MlpKernel(spec, this.parameters);
    const widest = Math.max(...spec.widths);
    this.colsA = new Float64Array(widest * n);
    this.colsB = new Float64Array(widest * n);
    this.full = new Float64Array(n * n);
    this.delta = new Float64Array(widest);
    this.back = new Float64Array(widest);
  }

  private load(y: FloatArray, yo: number, x: FloatArray, xo: number, t: number): void {
    const u = this.mlp.input;
    const n = this.stateSize;
    const m = this.inputSize;
    for (let i = 0; i < n; i++) u[i] = y[yo + i];
    for (let i = 0; i < m; i++) u[n + i] = x[xo + i];
    if (this.timeFeature) u[n + m] = t;
  }

  /** Writes f(y, x, t). */
  evaluate(
    y: FloatArray,
    yo: number,
    x: FloatArray,
    xo: number,
    t: number,
    out: FloatArray,
    oo: number,
  ): void {
    this.load(y, yo, x, xo, t);
    this.mlp.forward(out, oo);
  }

  /** Writes f and ∂f/∂y = W_L D_{L−1} W_{L−1} ⋯ D_1 W_1[:, :n] (forward propagation of n columns). */
  denseJacobian(
    y: FloatArray,
    yo: number,
    x: FloatArray,
    xo: number,
    t: number,
    f: FloatArray,
    fo: number,
    jac: FloatArray,
    jo: number,
  ): void {
    this.evaluate(y, yo, x, xo, t, f, fo);
    const n = this.stateSize;
    const { widths, weights, d1 } = this.mlp;
    const L = weights.length;
    // P = ∂z_0/∂y = W_0[:, :n]  (rows × n), then P ← W_l (σ'(z_{l−1}) ⊙ P).
    let P = this.colsA;
    let Q = this.colsB;
    const cols0 = widths[0];
    for (let r = 0; r < widths[1]; r++) for (let j = 0; j < n; j++) P[r * n + j] = weights[0][r * cols0 + j];
    for (let l = 1; l < L; l++) {
      const rows = widths[l + 1];
      const inner = widths[l];
      const W = weights[l];
      const d = d1[l - 1];
      const target = l === L - 1 ? null : Q;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < inner; k++) s += W[r * inner + k] * d[k] * P[k * n + j];
          if (target) target[r * n + j] = s;
          else jac[jo + r * n + j] = s;
        }
      }
      const swap = P;
      P = Q;
      Q = swap;
    }
    if (L === 1) for (let i = 0; i < n * n; i++) jac[jo + i] = P[i];
  }

  /** Writes ∂f/∂t at fixed y, x: the t-column of the input Jacobian (zeros without `timeFeature`). */
  timeDerivative(
    y: FloatArray,
    yo: number,
    x: FloatArray,
    xo: number,
    t: number,
    out: FloatArray,
    oo: number,
  ): void {
    const n = this.stateSize;
    if (!this.timeFeature) {
      for (let i = 0; i < n; i++) out[oo + i] = 0;
      return;
    }
    this.evaluate(y, yo, x, xo, t, this.back, 0); // fills the caches
    const { widths, weights, d1 } = this.mlp;
    const L = weights.length;
    const col = n + this.inputSize;
    // Forward tangent along e_t: ż_0 = W_0[:, t], ż_l = W_l (σ'(z_{l−1}) ⊙ ż_{l−1}).
    let cur = this.delta;
    let next = this.colsA;
    for (let r = 0; r < widths[1]; r++) cur[r] = weights[0][r * widths[0] + col];
    for (let l = 1; l < L; l++) {
      const rows = widths[l + 1];
      const inner = widths[l];
      const W = weights[l];
      const d = d1[l - 1];
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let k = 0; k < inner; k++) s += W[r * inner + k] * d[k] * cur[k];
        next[r] = s;
      }
      const swap = cur;
      cur = next;
      next = swap;
    }
    for (let i = 0; i < n; i++) out[oo + i] = cur[i];
  }

  /**
   * Writes f and diag(∂f/∂y). An MLP has no cheaper route to its diagonal than the n Jacobian columns,
   * so this costs the same as {@link MlpVectorField.denseJacobian}.
   */
  diagonalJacobian(
    y: FloatArray,
    yo: number,
    x: FloatArray,
    xo: number,
    t: number,
    f: FloatArray,
    fo: number,
    diag: FloatArray,
    dOff: number,
  ): void {
    const n = this.stateSize;
    this.denseJacobian(y, yo, x, xo, t, f, fo, this.full, 0);
    for (let i = 0; i < n; i++) diag[dOff + i] = this.full[i * n + i];
  }

  /** Adds gᵀ∂f/∂y, gᵀ∂f/∂x and gᵀ∂f/∂θ (backpropagation through the MLP). */
  vjp(
    y: FloatArray,
    yo: number,
    x: FloatArray,
    xo: number,
    t: number,
    g: FloatArray,
    go: number,
    gradY: FloatArray,
    gyo: number,
    gradX: FloatArray | null,
    gxo: number,
    gradParams: GradientMap | null,
  ): void {
    const n = this.stateSize;
    const m = this.inputSize;
    this.load(y, yo, x, xo, t);
    this.mlp.forward(this.back, 0); // output unused; fills the caches
    const { widths, weights, a, d1, input } = this.mlp;
    const L = weights.length;
    const delta = this.delta;
    const back = this.back;
    for (let i = 0; i < n; i++) delta[i] = g[go + i];
    for (let l = L - 1; l >= 0; l--) {
      const rows = widths[l + 1];
      const cols = widths[l];
      const prev = l === 0 ? input : a[l - 1];
      const W = weights[l];
      if (gradParams) {
        const gw = gradParams[mlpWeightName(l)];
        const gb = gradParams[mlpBiasName(l)];
        for (let r = 0; r < rows; r++) {
          const dr = delta[r];
          gb[r] += dr;
          for (let c = 0; c < cols; c++) gw[r * cols + c] += dr * prev[c];
        }
      }
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += W[r * cols + c] * delta[r];
        back[c] = s;
      }
      if (l > 0) {
        const d = d1[l - 1];
        for (let c = 0; c < cols; c++) delta[c] = back[c] * d[c];
      }
    }
    for (let i = 0; i < n; i++) gradY[gyo + i] += back[i];
    if (gradX) for (let i = 0; i < m; i++) gradX[gxo + i] += back[n + i];
  }
}

/**
 * Creates a NeuralODE MLP vector field f(y, x, t) = W_L σ(⋯ σ(W_1 [y; x; t] + b_1) ⋯) + b_L.
 *
 * @example
 * ```ts
 * import { createMlpVectorField } from '@antler/zoo';
 * const field = createMlpVectorField({ stateSize: 2, hidden: [16, 16], activation: 'softplus', seed: 1 });
 * const f = new Float64Array(2);
 * const jac = new Float64Array(4);
 * field.denseJacobian(new Float64Array([0.1, -0.3]), 0, new Float64Array(0), 0, 0, f, 0, jac, 0);
 * ```
 */
export function createMlpVectorField(options: MlpVectorFieldOptions): MlpVectorField {
  return new MlpVectorField(options);
}
