/**
 * The Hamiltonian NeuralODE field f(y) = S ∇H(y) for a scalar MLP H (the DEER paper's two-body
 * experiment), y = (q, p) ∈ R^{2d}, S = [[0, I], [−I, 0]].
 *
 * Its Jacobian is S ∇²H, computed analytically by forward-over-reverse differentiation: each Hessian
 * column ∇²H e_j is one tangent pass (ż_l = W_l (σ'(z_{l−1}) ⊙ ż_{l−1})) followed by the reverse pass of
 * vᵀ∇H, which needs σ''. The same reverse pass gives the parameter VJP: gᵀ S ∇H = vᵀ∇H with v = Sᵀg, so
 * ∂(gᵀf)/∂y = ∇²H v and ∂(gᵀf)/∂θ come out of one pass.
 */
import { checkInteger, type FloatArray, type GradientMap, ShapeError, type TensorMap } from '@antler/core';
import type { OdeActivation } from './activation.js';
import { MlpKernel, mlpBiasName, mlpWeightName, resolveMlpParameters } from './mlp.js';
import type { OdeVectorField } from './ode-vector-field.js';

/** Options of {@link createHamiltonianVectorField}. */
export interface HamiltonianVectorFieldOptions {
  /** State size n = 2d (positions q then momenta p). */
  readonly stateSize: number;
  /** Hidden widths of the scalar MLP H. */
  readonly hidden: readonly number[];
  /** Hidden activations (smooth ones: relu has a zero Hessian almost everywhere); default `'softplus'`. */
  readonly activation?: OdeActivation | readonly OdeActivation[];
  /** Parameters `layers.{l}.weight` / `layers.{l}.bias`; missing ones are drawn from `seed`. */
  readonly parameters?: TensorMap;
  /** Seed of the default initialisation; default 0. */
  readonly seed?: number;
}

/** A Hamiltonian vector field S ∇H(y) with H a scalar MLP. Not re-entrant (internal caches). */
export class HamiltonianVectorField implements OdeVectorField {
  readonly stateSize: number;
  readonly inputSize = 0;
  /** H does not depend on t. */
  readonly autonomous = true;
  readonly parameters: TensorMap;
  private readonly half: number;
  private readonly mlp: MlpKernel;
  private readonly scalar = new Float64Array(1);
  private readonly grad: Float64Array;
  private readonly v: Float64Array;
  private readonly hv: Float64Array;
  private readonly hess: Float64Array;
  private readonly zDot: Float64Array[];
  private readonly aDot: Float64Array[];
  private readonly aBar: Float64Array;
  private readonly aDotBar: Float64Array;
  private readonly zBar: Float64Array;
  private readonly zDotBar: Float64Array;

  constructor(options: HamiltonianVectorFieldOptions) {
    const n = checkInteger(options.stateSize, 'stateSize', 2);
    if (n % 2 !== 0) throw new ShapeError('stateSize', 'an even number 2d (positions and momenta)', `${n}`);
    this.stateSize = n;
    this.half = n / 2;
    const hidden = options.hidden.map((w, i) => checkInteger(w, `hidden[${i}]`, 1));
    if (hidden.length === 0)
      throw new ShapeError('hidden', 'at least one hidden layer (a linear H has zero flow Jacobian)', '[]');
    const act = options.activation ?? 'softplus';
    const activations = typeof act === 'string' ? hidden.map(() => act) : [...act];
    const spec = { widths: [n, ...hidden, 1], activations };
    this.parameters = resolveMlpParameters(spec, options.parameters, options.seed ?? 0);
    this.mlp = new MlpKernel(spec, this.parameters);
    const widest = Math.max(...spec.widths);
    this.grad = new Float64Array(n);
    this.v = new Float64Array(n);
    this.hv = new Float64Array(n);
    this.hess = new Float64Array(n * n);
    this.zDot = hidden.map((w) => new Float64Array(w));
    this.aDot = hidden.map((w) => new Float64Array(w));
    this.aBar = new Float64Array(widest);
    this.aDotBar = new Float64Array(widest);
    this.zBar = new Float64Array(widest);
    this.zDotBar = new Float64Array(widest);
  }

  private forward(y: FloatArray, yo: number): number {
    const u = this.mlp.input;
    for (let i = 0; i < this.stateSize; i++) u[i] = y[yo + i];
    this.mlp.forward(this.scalar, 0);
    return this.scalar[0];
  }

  /** H(y). */
  hamiltonian(y: FloatArray, yo = 0): number {
    return this.forward(y, yo);
  }

  /** Writes ∇H at the last forward point to `this.grad` (backpropagation). */
  private gradientAfterForward(): void {
    const { widths, weights, d1 } = this.mlp;
    const L = weights.length;
    const aBar = this.aBar;
    const zBar = this.zBar;
    const wl = weights[L - 1];
    for (let k = 0; k < widths[L - 1]; k++) aBar[k] = wl[k];
    for (let l = L - 2; l >= 0; l--) {
      const rows = widths[l + 1];
      const cols = widths[l];
      const W = weights[l];
      for (let r = 0; r < rows; r++) zBar[r] = aBar[r] * d1[l][r];
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += W[r * cols + c] * zBar[r];
        aBar[c] = s;
      }
    }
    for (let i = 0; i < this.stateSize; i++) this.grad[i] = aBar[i];
  }

  /** Writes ∇H(y) to `out[oo …]`. */
  gradient(y: FloatArray, yo: number, out: FloatArray, oo: number): void {
    this.forward(y, yo);
    this.gradientAfterForward();
    for (let i = 0; i < this.stateSize; i++) out[oo + i] = this.grad[i];
  }

  /**
   * After a forward pass: writes ∇²H v to `this.hv` and, when `gradParams` is given, adds ∂(vᵀ∇H)/∂θ.
   */
  private hessianVector(v: Float64Array, gradParams: GradientMap | null): void {
    const { widths, weights, d1, d2, a, input } = this.mlp;
    const L = weights.length;
    const { zDot, aDot, aBar, aDotBar, zBar, zDotBar } = this;
    // Tangent pass.
    for (let l = 0; l < L - 1; l++) {
      const rows = widths[l + 1];
      const cols = widths[l];
      const W = weights[l];
      const prev = l === 0 ? v : aDot[l - 1];
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += W[r * cols + c] * prev[c];
        zDot[l][r] = s;
        aDot[l][r] = d1[l][r] * s;
      }
    }
    // Reverse pass of D = vᵀ∇H = W_{L−1} ȧ_{L−2}.
    const last = widths[L - 1];
    const wl = weights[L - 1];
    if (gradParams) {
      const gw = gradParams[mlpWeightName(L - 1)];
      for (let k = 0; k < last; k++) gw[k] += aDot[L - 2][k];
    }
    for (let k = 0; k < last; k++) {
      aDotBar[k] = wl[k];
      aBar[k] = 0;
    }
    for (let l = L - 2; l >= 0; l--) {
      const rows = widths[l + 1];
      const cols = widths[l];
      const W = weights[l];
      for (let r = 0; r < rows; r++) {
        zDotBar[r] = d1[l][r] * aDotBar[r];
        zBar[r] = d2[l][r] * zDot[l][r] * aDotBar[r] + d1[l][r] * aBar[r];
      }
      const prev = l === 0 ? input : a[l - 1];
      const prevDot = l === 0 ? v : aDot[l - 1];
      if (gradParams) {
        const gw = gradParams[mlpWeightName(l)];
        const gb = gradParams[mlpBiasName(l)];
        for (let r = 0; r < rows; r++) {
          gb[r] += zBar[r];
          for (let c = 0; c < cols; c++) gw[r * cols + c] += zBar[r] * prev[c] + zDotBar[r] * prevDot[c];
        }
      }
      for (let c = 0; c < cols; c++) {
        let s = 0;
        let sd = 0;
        for (let r = 0; r < rows; r++) {
          s += W[r * cols + c] * zBar[r];
          sd += W[r * cols + c] * zDotBar[r];
        }
        aBar[c] = s;
        aDotBar[c] = sd;
      }
    }
    for (let i = 0; i < this.stateSize; i++) this.hv[i] = aBar[i];
  }

  /** Writes f = S∇H: f_q = ∂H/∂p, f_p = −∂H/∂q. */
  evaluate(
    y: FloatArray,
    yo: number,
    _x: FloatArray,
    _xo: number,
    _t: number,
    out: FloatArray,
    oo: number,
  ): void {
    this.forward(y, yo);
    this.gradientAfterForward();
    this.writeFlow(out, oo);
  }

  private writeFlow(out: FloatArray, oo: number): void {
    const d = this.half;
    for (let i = 0; i < d; i++) {
      out[oo + i] = this.grad[d + i];
      out[oo + d + i] = -this.grad[i];
    }
  }

  /** Writes ∇²H (row-major n×n) at y to `out[oo …]`, one Hessian-vector product per column. */
  hessian(y: FloatArray, yo: number, out: FloatArray, oo: number): void {
    const n = this.stateSize;
    this.forward(y, yo);
    for (let j = 0; j < n; j++) {
      this.v.fill(0);
      this.v[j] = 1;
      this.hessianVector(this.v, null);
      for (let i = 0; i < n; i++) out[oo + i * n + j] = this.hv[i];
    }
  }

  /** Writes f and ∂f/∂y = S ∇²H. */
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
    const n = this.stateSize;
    const d = this.half;
    this.hessian(y, yo, this.hess, 0);
    this.gradientAfterForward();
    this.writeFlow(f, fo);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < n; j++) {
        jac[jo + i * n + j] = this.hess[(d + i) * n + j];
        jac[jo + (d + i) * n + j] = -this.hess[i * n + j];
      }
    }
    void x;
    void xo;
    void t;
  }

  /**
   * Writes f and diag(S∇²H): ∂²H/∂p_i∂q_i for the q rows and −∂²H/∂q_i∂p_i for the p rows (n Hessian-
   * vector products, as for the dense Jacobian; an MLP offers no cheaper route).
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
    const d = this.half;
    this.hessian(y, yo, this.hess, 0);
    this.gradientAfterForward();
    this.writeFlow(f, fo);
    for (let i = 0; i < d; i++) {
      diag[dOff + i] = this.hess[(d + i) * n + i];
      diag[dOff + d + i] = -this.hess[i * n + d + i];
    }
    void x;
    void xo;
    void t;
  }

  /** Adds gᵀ∂f/∂y = ∇²H Sᵀg to `gradY` and ∂(gᵀS∇H)/∂θ to `gradParams` (no inputs). */
  vjp(
    y: FloatArray,
    yo: number,
    _x: FloatArray,
    _xo: number,
    _t: number,
    g: FloatArray,
    go: number,
    gradY: FloatArray,
    gyo: number,
    _gradX: FloatArray | null,
    _gxo: number,
    gradParams: GradientMap | null,
  ): void {
    const d = this.half;
    this.forward(y, yo);
    // v = Sᵀg: v_q = −g_p, v_p = g_q.
    for (let i = 0; i < d; i++) {
      this.v[i] = -g[go + d + i];
      this.v[d + i] = g[go + i];
    }
    this.hessianVector(this.v, gradParams);
    for (let i = 0; i < this.stateSize; i++) gradY[gyo + i] += this.hv[i];
  }
}

/**
 * Creates a Hamiltonian NeuralODE field S∇H(y) with H a scalar MLP.
 *
 * @example
 * ```ts
 * import { createHamiltonianVectorField } from '@antler/zoo';
 * const field = createHamiltonianVectorField({ stateSize: 4, hidden: [32, 32], seed: 3 });
 * const y = new Float64Array([1, 0, 0, 0.5]);
 * const energy = field.hamiltonian(y); // conserved along the exact flow
 * ```
 */
export function createHamiltonianVectorField(options: HamiltonianVectorFieldOptions): HamiltonianVectorField {
  return new HamiltonianVectorField(options);
}
