/**
 * minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), sequential form without the
 * log-space activation: every gate depends on the input only, so h' is affine in h with a diagonal,
 * input-only Jacobian. One affine scan therefore solves them exactly: every DEER-family method
 * converges in one iteration (a second confirms it).
 *
 *   minGRU:  z = σ(W_z x + b_z), h̃ = W_h x + b_h,  h' = (1 − z) ⊙ h + z ⊙ h̃
 *   minLSTM: f = σ(W_f x + b_f), i = σ(W_i x + b_i), h̃ = W_h x + b_h,
 *            f' = f / (f + i), h' = f' ⊙ h + (1 − f') ⊙ h̃
 * Parameters: `weight_ih_l0` [2H, m] stacked (z, h̃) or [3H, m] stacked (f, i, h̃), `bias_ih_l0` likewise.
 */
import { checkInteger, type FloatArray, ShapeError } from '@antler/core';
import { gemvAdd, gemvTransposeAdd, outerAdd, sigmoid } from '../matvec.js';
import { loadParameters, type ParameterSpec, randomParameters, requireWeight } from '../parameters.js';
import { type CellSource, hasWeights, type ZooCell } from '../zoo-cell.js';

/** Options of {@link createMinGru} and {@link createMinLstm}. */
export type MinRnnOptions = CellSource;

type MinKind = 'mingru' | 'minlstm';

function minSpecs(blocks: number, hidden: number, input: number): ParameterSpec[] {
  return [
    { name: 'weight_ih_l0', shape: [blocks * hidden, input] },
    { name: 'bias_ih_l0', shape: [blocks * hidden], optional: true },
  ];
}

function minParameters(options: MinRnnOptions, kind: MinKind, blocks: number) {
  if (hasWeights(options)) {
    const w = requireWeight(options.weights, 'weight_ih_l0', kind);
    if (w.shape.length !== 2 || w.shape[0] % blocks !== 0 || w.shape[0] === 0) {
      throw new ShapeError('weights.weight_ih_l0', `shape [${blocks}H, m]`, `shape [${w.shape.join(', ')}]`);
    }
    const H = w.shape[0] / blocks;
    const m = w.shape[1];
    return { H, m, params: loadParameters(options.weights, minSpecs(blocks, H, m), kind) };
  }
  const H = checkInteger(options.hiddenSize, 'options.hiddenSize');
  const m = checkInteger(options.inputSize, 'options.inputSize', 0);
  return { H, m, params: randomParameters(minSpecs(blocks, H, m), H, options.seed, options.scale) };
}

function createMin(options: MinRnnOptions, kind: MinKind): ZooCell {
  const blocks = kind === 'mingru' ? 2 : 3;
  const { H, m, params } = minParameters(options, kind, blocks);
  const w = params.weight_ih_l0.data;
  const b = params.bias_ih_l0?.data;
  const a = new Float64Array(blocks * H); // pre-activations of the gates and candidate
  const keep = new Float64Array(H); // the coefficient of h: 1 − z (minGRU) or f' (minLSTM)
  const d = new Float64Array(blocks * H);
  const forward = (x: FloatArray, xo: number): void => {
    if (b) a.set(b);
    else a.fill(0);
    gemvAdd(w, 0, blocks * H, m, x, xo, a, 0);
    for (let i = 0; i < H; i++) {
      if (kind === 'mingru') keep[i] = 1 - sigmoid(a[i]);
      else {
        const fg = sigmoid(a[i]);
        const ig = sigmoid(a[H + i]);
        keep[i] = fg / (fg + ig);
      }
    }
  };
  const cand = (blocks - 1) * H; // offset of h̃ in `a`
  const write = (h: FloatArray, ho: number, out: FloatArray, oo: number): void => {
    for (let i = 0; i < H; i++) out[oo + i] = keep[i] * h[ho + i] + (1 - keep[i]) * a[cand + i];
  };
  return {
    kind,
    stateSize: H,
    inputSize: m,
    parameters: params,
    config: { hiddenSize: H, inputSize: m, linearInState: true },
    step(h, ho, x, xo, out, oo) {
      forward(x, xo);
      write(h, ho, out, oo);
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      forward(x, xo);
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) jac[jo + i * H + j] = 0;
        jac[jo + i * H + i] = keep[i];
      }
      write(h, ho, f, fo);
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dgo) {
      forward(x, xo);
      for (let i = 0; i < H; i++) diag[dgo + i] = keep[i];
      write(h, ho, f, fo);
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams) {
      forward(x, xo);
      for (let i = 0; i < H; i++) {
        const gi = g[go + i];
        const diff = h[ho + i] - a[cand + i]; // ∂h'/∂keep
        gradH[gho + i] += gi * keep[i];
        d[cand + i] = gi * (1 - keep[i]);
        if (kind === 'mingru') {
          const z = 1 - keep[i];
          d[i] = -gi * diff * z * (1 - z); // keep = 1 − z
        } else {
          const fg = sigmoid(a[i]);
          const ig = sigmoid(a[H + i]);
          const s2 = (fg + ig) * (fg + ig);
          d[i] = gi * diff * (ig / s2) * fg * (1 - fg);
          d[H + i] = -gi * diff * (fg / s2) * ig * (1 - ig);
        }
      }
      if (gradX) gemvTransposeAdd(w, 0, blocks * H, m, d, 0, gradX, gxo);
      if (!gradParams) return;
      if (gradParams.weight_ih_l0) outerAdd(gradParams.weight_ih_l0, 0, blocks * H, m, d, 0, x, xo);
      const gb = gradParams.bias_ih_l0;
      if (gb && b) for (let k = 0; k < blocks * H; k++) gb[k] += d[k];
    },
  };
}

/**
 * Creates a minGRU cell (state n = H). Its Jacobian is diagonal (1 − z) and independent of h.
 *
 * @example
 * ```ts
 * import { createMinGru } from '@antler/zoo';
 * const cell = createMinGru({ hiddenSize: 16, inputSize: 4, seed: 1 });
 * ```
 */
export function createMinGru(options: MinRnnOptions): ZooCell {
  return createMin(options, 'mingru');
}

/**
 * Creates a minLSTM cell (state n = H). Its Jacobian is diagonal (f / (f + i)) and independent of h.
 *
 * @example
 * ```ts
 * import { createMinLstm } from '@antler/zoo';
 * const cell = createMinLstm({ hiddenSize: 16, inputSize: 4, seed: 1 });
 * ```
 */
export function createMinLstm(options: MinRnnOptions): ZooCell {
  return createMin(options, 'minlstm');
}
