/**
 * Elman RNN cell, PyTorch `nn.RNN` (one layer): h' = act(W_ih x + b_ih + W_hh h + b_hh), act ∈ {tanh, relu}.
 */
import { checkInteger, ShapeError, type GradientMap, type FloatArray } from '@antler/core';
import { gemvAdd, gemvTransposeAdd, outerAdd } from '../matvec.js';
import { loadParameters, type ParameterSpec, randomParameters, requireWeight } from '../parameters.js';
import { type CellSource, hasWeights, type ZooCell } from '../zoo-cell.js';

/** Options of {@link createElman}. */
export type ElmanOptions = CellSource & {
  /** Activation, as PyTorch's `nonlinearity` (default `'tanh'`). */
  readonly nonlinearity?: 'tanh' | 'relu';
  /** Random init only: include `bias_ih_l0`/`bias_hh_l0` (default true). With weights, biases are optional. */
  readonly bias?: boolean;
};

function elmanSpecs(hidden: number, input: number, bias: boolean): ParameterSpec[] {
  return [
    { name: 'weight_ih_l0', shape: [hidden, input] },
    { name: 'weight_hh_l0', shape: [hidden, hidden] },
    { name: 'bias_ih_l0', shape: [hidden], optional: !bias },
    { name: 'bias_hh_l0', shape: [hidden], optional: !bias },
  ];
}

/**
 * Creates an Elman cell (state n = H, input m) from PyTorch-named weights or a seeded random init
 * (U(−1/√H, 1/√H) × `scale`, as PyTorch). Jacobians: dense, diagonal; parameter VJP.
 *
 * @example
 * ```ts
 * import { createElman } from '@antler/zoo';
 * const cell = createElman({ hiddenSize: 4, inputSize: 2, seed: 1 });
 * const out = new Float64Array(4);
 * cell.step(new Float64Array(4), 0, Float64Array.of(1, -1), 0, out, 0);
 * ```
 */
export function createElman(options: ElmanOptions): ZooCell {
  const nonlinearity = options.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ShapeError('options.nonlinearity', "'tanh' or 'relu'", String(nonlinearity));
  }
  let params: ReturnType<typeof loadParameters>;
  let H: number;
  let m: number;
  if (hasWeights(options)) {
    const whh = requireWeight(options.weights, 'weight_hh_l0', 'elman');
    const wih = requireWeight(options.weights, 'weight_ih_l0', 'elman');
    H = whh.shape[0] ?? 0;
    m = wih.shape[1] ?? 0;
    params = loadParameters(options.weights, elmanSpecs(H, m, false), 'elman');
  } else {
    H = checkInteger(options.hiddenSize, 'options.hiddenSize');
    m = checkInteger(options.inputSize, 'options.inputSize', 0);
    params = randomParameters(
      elmanSpecs(H, m, options.bias ?? true).filter((s) => !s.optional),
      H,
      options.seed,
      options.scale,
    );
  }
  const wih = params.weight_ih_l0.data;
  const whh = params.weight_hh_l0.data;
  const bih = params.bias_ih_l0?.data;
  const bhh = params.bias_hh_l0?.data;
  const relu = nonlinearity === 'relu';
  const pre = new Float64Array(H); // scratch: pre-activation
  const dpre = new Float64Array(H); // scratch: g ⊙ act'(pre)

  /** pre = W_ih x + b_ih + W_hh h + b_hh. */
  const preactivate = (h: FloatArray, ho: number, x: FloatArray, xo: number): void => {
    for (let i = 0; i < H; i++) pre[i] = (bih ? bih[i] : 0) + (bhh ? bhh[i] : 0);
    gemvAdd(wih, 0, H, m, x, xo, pre, 0);
    gemvAdd(whh, 0, H, H, h, ho, pre, 0);
  };
  const act = (a: number): number => (relu ? Math.max(a, 0) : Math.tanh(a));
  // Math.max keeps NaN (a > 0 ? a : 0 would zero it); relu'(NaN) is NaN too. relu'(0) = 0 as in PyTorch.
  const dact = (a: number, y: number): number => (relu ? (a > 0 ? 1 : a <= 0 ? 0 : Number.NaN) : 1 - y * y);

  return {
    kind: 'elman',
    stateSize: H,
    inputSize: m,
    parameters: params,
    config: { nonlinearity, hiddenSize: H, inputSize: m, bias: bih !== undefined },
    step(h, ho, x, xo, out, oo) {
      preactivate(h, ho, x, xo);
      for (let i = 0; i < H; i++) out[oo + i] = act(pre[i]);
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      preactivate(h, ho, x, xo);
      for (let i = 0; i < H; i++) {
        const y = act(pre[i]);
        const d = dact(pre[i], y);
        const row = i * H;
        for (let j = 0; j < H; j++) jac[jo + row + j] = d * whh[row + j];
        f[fo + i] = y;
      }
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dgo) {
      preactivate(h, ho, x, xo);
      for (let i = 0; i < H; i++) {
        const y = act(pre[i]);
        diag[dgo + i] = dact(pre[i], y) * whh[i * H + i];
        f[fo + i] = y;
      }
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams: GradientMap | null) {
      preactivate(h, ho, x, xo);
      for (let i = 0; i < H; i++) dpre[i] = g[go + i] * dact(pre[i], act(pre[i]));
      gemvTransposeAdd(whh, 0, H, H, dpre, 0, gradH, gho);
      if (gradX) gemvTransposeAdd(wih, 0, H, m, dpre, 0, gradX, gxo);
      if (gradParams) {
        const gw = gradParams.weight_ih_l0;
        if (gw) outerAdd(gw, 0, H, m, dpre, 0, x, xo);
        const gu = gradParams.weight_hh_l0;
        if (gu) outerAdd(gu, 0, H, H, dpre, 0, h, ho);
        for (const name of ['bias_ih_l0', 'bias_hh_l0'] as const) {
          const gb = gradParams[name];
          if (gb && params[name]) for (let i = 0; i < H; i++) gb[i] += dpre[i];
        }
      }
    },
  };
}
