/**
 * LSTM cell, PyTorch `nn.LSTM` (one layer, gate order i, f, g, o):
 *   [i, f, g, o] = [σ, σ, tanh, σ](W_ih x + b_ih + W_hh h + b_hh),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').
 * State s = [h (H values), c (H values)], n = 2H.
 */
import { checkInteger, type FloatArray, ShapeError } from '@antler/core';
import { gemvAdd, gemvTransposeAdd, outerAdd, sigmoid } from '../matvec.js';
import { loadParameters, type ParameterSpec, randomParameters, requireWeight } from '../parameters.js';
import { type CellSource, hasWeights, type ZooCell } from '../zoo-cell.js';

/** Options of {@link createLstm}. */
export type LstmOptions = CellSource & {
  /** Random init only: include biases (default true). */
  readonly bias?: boolean;
};

function lstmSpecs(hidden: number, input: number, bias: boolean): ParameterSpec[] {
  return [
    { name: 'weight_ih_l0', shape: [4 * hidden, input] },
    { name: 'weight_hh_l0', shape: [4 * hidden, hidden] },
    { name: 'bias_ih_l0', shape: [4 * hidden], optional: !bias },
    { name: 'bias_hh_l0', shape: [4 * hidden], optional: !bias },
  ];
}

/**
 * Creates an LSTM cell from PyTorch-named weights (`weight_ih_l0` [4H, m], `weight_hh_l0` [4H, H],
 * biases [4H]) or a seeded random init. State layout `[h, c]` (n = 2H). Jacobians: dense, diagonal; VJP.
 *
 * @example
 * ```ts
 * import { createLstm } from '@antler/zoo';
 * const cell = createLstm({ hiddenSize: 4, inputSize: 2, seed: 0 }); // stateSize 8: [h(4), c(4)]
 * const s = new Float64Array(8);
 * cell.step(s, 0, Float64Array.of(1, 0), 0, s, 0);
 * ```
 */
export function createLstm(options: LstmOptions): ZooCell {
  let H: number;
  let m: number;
  let params: ReturnType<typeof loadParameters>;
  if (hasWeights(options)) {
    const whh = requireWeight(options.weights, 'weight_hh_l0', 'lstm');
    const wih = requireWeight(options.weights, 'weight_ih_l0', 'lstm');
    if (whh.shape.length !== 2 || whh.shape[1] * 4 !== whh.shape[0]) {
      throw new ShapeError('weights.weight_hh_l0', 'shape [4H, H]', `shape [${whh.shape.join(', ')}]`);
    }
    H = whh.shape[1];
    m = wih.shape[1] ?? 0;
    params = loadParameters(options.weights, lstmSpecs(H, m, false), 'lstm');
  } else {
    H = checkInteger(options.hiddenSize, 'options.hiddenSize');
    m = checkInteger(options.inputSize, 'options.inputSize', 0);
    params = randomParameters(
      lstmSpecs(H, m, options.bias ?? true).filter((s) => !s.optional),
      H,
      options.seed,
      options.scale,
    );
  }
  const wih = params.weight_ih_l0.data;
  const whh = params.weight_hh_l0.data;
  const bih = params.bias_ih_l0?.data;
  const bhh = params.bias_hh_l0?.data;
  const a = new Float64Array(4 * H); // pre-activations, then gate values
  const cNew = new Float64Array(H);
  const tc = new Float64Array(H);
  const d = new Float64Array(4 * H); // VJP: cotangents of the pre-activations

  const forward = (s: FloatArray, so: number, x: FloatArray, xo: number): void => {
    for (let k = 0; k < 4 * H; k++) a[k] = (bih ? bih[k] : 0) + (bhh ? bhh[k] : 0);
    gemvAdd(wih, 0, 4 * H, m, x, xo, a, 0);
    gemvAdd(whh, 0, 4 * H, H, s, so, a, 0);
    for (let i = 0; i < H; i++) {
      const ig = sigmoid(a[i]);
      const fg = sigmoid(a[H + i]);
      const gg = Math.tanh(a[2 * H + i]);
      const og = sigmoid(a[3 * H + i]);
      a[i] = ig;
      a[H + i] = fg;
      a[2 * H + i] = gg;
      a[3 * H + i] = og;
      const c = fg * s[so + H + i] + ig * gg;
      cNew[i] = c;
      tc[i] = Math.tanh(c);
    }
  };
  const write = (out: FloatArray, oo: number): void => {
    for (let i = 0; i < H; i++) {
      out[oo + i] = a[3 * H + i] * tc[i];
      out[oo + H + i] = cNew[i];
    }
  };
  /** ∂c'_i/∂h_j. */
  const dcdh = (s: FloatArray, so: number, i: number, j: number): number => {
    const ig = a[i];
    const fg = a[H + i];
    const gg = a[2 * H + i];
    return (
      gg * ig * (1 - ig) * whh[i * H + j] +
      s[so + H + i] * fg * (1 - fg) * whh[(H + i) * H + j] +
      ig * (1 - gg * gg) * whh[(2 * H + i) * H + j]
    );
  };

  return {
    kind: 'lstm',
    stateSize: 2 * H,
    inputSize: m,
    parameters: params,
    config: { hiddenSize: H, inputSize: m, stateLayout: 'h,c', bias: bih !== undefined },
    step(h, ho, x, xo, out, oo) {
      forward(h, ho, x, xo);
      write(out, oo);
    },
    denseJacobian(s, so, x, xo, f, fo, jac, jo) {
      forward(s, so, x, xo);
      const n = 2 * H;
      for (let i = 0; i < H; i++) {
        const og = a[3 * H + i];
        const ko = tc[i] * og * (1 - og); // ∂h'/∂(o pre-activation)
        const kc = og * (1 - tc[i] * tc[i]); // ∂h'/∂c'
        const fg = a[H + i];
        const rowH = jo + i * n;
        const rowC = jo + (H + i) * n;
        for (let j = 0; j < H; j++) {
          const dc = dcdh(s, so, i, j);
          jac[rowC + j] = dc;
          jac[rowH + j] = ko * whh[(3 * H + i) * H + j] + kc * dc;
          jac[rowC + H + j] = 0;
          jac[rowH + H + j] = 0;
        }
        jac[rowC + H + i] = fg;
        jac[rowH + H + i] = kc * fg;
      }
      write(f, fo);
    },
    diagonalJacobian(s, so, x, xo, f, fo, diag, dgo) {
      forward(s, so, x, xo);
      for (let i = 0; i < H; i++) {
        const og = a[3 * H + i];
        const kc = og * (1 - tc[i] * tc[i]);
        diag[dgo + i] = tc[i] * og * (1 - og) * whh[(3 * H + i) * H + i] + kc * dcdh(s, so, i, i);
        diag[dgo + H + i] = a[H + i];
      }
      write(f, fo);
    },
    vjp(s, so, x, xo, g, go, gradS, gso, gradX, gxo, gradParams) {
      forward(s, so, x, xo);
      for (let i = 0; i < H; i++) {
        const ig = a[i];
        const fg = a[H + i];
        const gg = a[2 * H + i];
        const og = a[3 * H + i];
        const gh = g[go + i];
        const gc = g[go + H + i] + gh * og * (1 - tc[i] * tc[i]); // total cotangent of c'
        d[i] = gc * gg * ig * (1 - ig);
        d[H + i] = gc * s[so + H + i] * fg * (1 - fg);
        d[2 * H + i] = gc * ig * (1 - gg * gg);
        d[3 * H + i] = gh * tc[i] * og * (1 - og);
        gradS[gso + H + i] += gc * fg;
      }
      gemvTransposeAdd(whh, 0, 4 * H, H, d, 0, gradS, gso);
      if (gradX) gemvTransposeAdd(wih, 0, 4 * H, m, d, 0, gradX, gxo);
      if (!gradParams) return;
      if (gradParams.weight_ih_l0) outerAdd(gradParams.weight_ih_l0, 0, 4 * H, m, d, 0, x, xo);
      if (gradParams.weight_hh_l0) outerAdd(gradParams.weight_hh_l0, 0, 4 * H, H, d, 0, s, so);
      for (const name of ['bias_ih_l0', 'bias_hh_l0'] as const) {
        const gb = gradParams[name];
        if (gb && params[name]) for (let k = 0; k < 4 * H; k++) gb[k] += d[k];
      }
    },
  };
}
