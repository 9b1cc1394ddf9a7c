/**
 * The ELK paper's autoregressive GRU sampler as a Cell. State s_t = [h_t (H values), y_t (1 value)],
 * input x_t = ε_t (the sampling noise, m = 1):
 *   h_t = GRU(h_{t−1}, input y_{t−1}),   [μ_t, ρ_t] = W_head h_t + b_head,
 *   y_t = μ_t + softplus(ρ_t) · ε_t.
 * Feeding the sample back makes the recurrence depend on y, so it is part of the state (n = H + 1).
 * GRU parameters use the GRU's names (input size 1); the head is `head.weight` [2, H], `head.bias` [2].
 */
import { checkInteger, type FloatArray, ShapeError } from '@antler/core';
import {
  loadParameters,
  type ParameterSpec,
  randomParameters,
  readWeight,
  type RandomInitOptions,
  type WeightsLike,
} from '../parameters.js';
import { sigmoid } from '../matvec.js';
import type { ZooCell } from '../zoo-cell.js';
import { type GruVariant, gruSpecs } from './gru.js';
import { GruKernel } from './gru-kernel.js';

/** Options of {@link createArGru}: weights, or a random init (hidden size default 3, as in the ELK paper). */
export type ArGruOptions = (
  | { readonly weights: WeightsLike }
  | (Partial<Omit<RandomInitOptions, 'inputSize'>> & { readonly weights?: undefined })
) & {
  /** GRU bias placement (default `'flax'`, the ELK paper's `GRUCell`). */
  readonly variant?: GruVariant;
};

function softplus(a: number): number {
  return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
}

function arSpecs(H: number, variant: GruVariant): ParameterSpec[] {
  return [
    ...gruSpecs(H, 1, variant, true),
    { name: 'head.weight', shape: [2, H] },
    { name: 'head.bias', shape: [2] },
  ];
}

/**
 * Creates the autoregressive GRU sampler (state n = H + 1, input m = 1: the noise ε_t).
 * Jacobians: dense, diagonal; VJP (∂/∂ε is the sample's noise gradient).
 *
 * @example
 * ```ts
 * import { createArGru, createRandom } from '@antler/zoo';
 * const cell = createArGru({ seed: 0 }); // H = 3, state [h0, h1, h2, y]
 * const noise = createRandom(1).fillNormal(new Float64Array(1000)); // ε_1 … ε_T as the inputs
 * ```
 */
export function createArGru(options: ArGruOptions = {}): ZooCell {
  const variant: GruVariant = options.variant ?? 'flax';
  let H: number;
  let params: ReturnType<typeof loadParameters>;
  if (options.weights) {
    const hw = readWeight(options.weights, 'head.weight');
    if (hw?.shape.length !== 2 || hw.shape[0] !== 2) {
      throw new ShapeError(
        'weights.head.weight',
        'a tensor of shape [2, H]',
        hw ? `shape [${hw.shape.join(', ')}]` : 'missing',
      );
    }
    H = hw.shape[1];
    params = loadParameters(options.weights, arSpecs(H, variant), 'ar-gru');
  } else {
    H = checkInteger(options.hiddenSize ?? 3, 'options.hiddenSize');
    params = randomParameters(arSpecs(H, variant), H, options.seed, options.scale);
  }
  const k = new GruKernel(
    H,
    1,
    params.weight_ih_l0.data,
    params.weight_hh_l0.data,
    params.bias_ih_l0.data,
    params.bias_hh_l0.data,
    variant === 'flax',
  );
  const hw = params['head.weight'].data;
  const hb = params['head.bias'].data;
  const hNew = new Float64Array(H);
  const u = new Float64Array(H); // ∂y'/∂h' = W_μ + σ(ρ) ε W_ρ
  const gH = new Float64Array(H); // VJP: total cotangent of h'
  const n = H + 1;
  let mu = 0;
  let rho = 0;

  /** GRU + head at (s, ε); leaves h' in hNew, μ, ρ set, y' returned. */
  const forward = (s: FloatArray, so: number, x: FloatArray, xo: number): number => {
    k.forward(s, so, s, so + H);
    k.output(s, so, hNew, 0);
    mu = hb[0];
    rho = hb[1];
    for (let i = 0; i < H; i++) {
      mu += hw[i] * hNew[i];
      rho += hw[H + i] * hNew[i];
    }
    const eps = x[xo];
    const sr = sigmoid(rho) * eps;
    for (let i = 0; i < H; i++) u[i] = hw[i] + sr * hw[H + i];
    return mu + softplus(rho) * eps;
  };
  const write = (y: number, out: FloatArray, oo: number): void => {
    for (let i = 0; i < H; i++) out[oo + i] = hNew[i];
    out[oo + H] = y;
  };

  return {
    kind: 'ar-gru',
    stateSize: n,
    inputSize: 1,
    parameters: params,
    config: { hiddenSize: H, variant, stateLayout: 'h,y', inputIs: 'noise' },
    step(s, so, x, xo, out, oo) {
      write(forward(s, so, x, xo), out, oo);
    },
    denseJacobian(s, so, x, xo, f, fo, jac, jo) {
      const y = forward(s, so, x, xo);
      k.coefficients(s, so);
      for (let j = 0; j <= H; j++) {
        let last = 0;
        for (let i = 0; i < H; i++) {
          const e = j < H ? k.hiddenEntry(i, j) : k.inputEntry(i, 0);
          jac[jo + i * n + j] = e;
          last += u[i] * e;
        }
        jac[jo + H * n + j] = last;
      }
      write(y, f, fo);
    },
    diagonalJacobian(s, so, x, xo, f, fo, diag, dgo) {
      const y = forward(s, so, x, xo);
      k.coefficients(s, so);
      let last = 0;
      for (let i = 0; i < H; i++) {
        diag[dgo + i] = k.hiddenEntry(i, i);
        last += u[i] * k.inputEntry(i, 0);
      }
      diag[dgo + H] = last;
      write(y, f, fo);
    },
    vjp(s, so, x, xo, g, go, gradS, gso, gradX, gxo, gradParams) {
      forward(s, so, x, xo);
      const gy = g[go + H];
      for (let i = 0; i < H; i++) gH[i] = g[go + i] + gy * u[i];
      if (gradX) gradX[gxo] += gy * softplus(rho);
      const gw = gradParams?.['head.weight'];
      const gb = gradParams?.['head.bias'];
      const dRho = gy * x[xo] * sigmoid(rho);
      if (gw) {
        for (let i = 0; i < H; i++) {
          gw[i] += gy * hNew[i];
          gw[H + i] += dRho * hNew[i];
        }
      }
      if (gb) {
        gb[0] += gy;
        gb[1] += dRho;
      }
      // The GRU's input is the state's y: its input gradient lands in gradS[H].
      k.vjp(s, so, s, so + H, gH, 0, gradS, gso, gradS, gso + H, gradParams);
    },
  };
}
