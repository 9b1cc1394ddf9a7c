/**
 * GRU cell, PyTorch `nn.GRU` (one layer) or Flax `GRUCell` bias placement (gate order r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h [+ b_hr]),  z = σ(W_iz x + b_iz + W_hz h [+ b_hz]),
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
 * The bracketed hidden biases exist only in the PyTorch variant.
 */
import { checkInteger, ShapeError } from '@antler/core';
import {
  loadParameters,
  type ParameterSpec,
  randomParameters,
  readWeight,
  requireWeight,
} from '../parameters.js';
import { type CellSource, hasWeights, type ZooCell } from '../zoo-cell.js';
import { GruKernel } from './gru-kernel.js';

/** Where the GRU's hidden-side biases are: PyTorch has b_hr, b_hz, b_hn; Flax `GRUCell` only b_hn. */
export type GruVariant = 'pytorch' | 'flax';

/** Options of {@link createGru}. */
export type GruOptions = CellSource & {
  /**
   * `'pytorch'` (default with random init): `bias_hh_l0` is [3H] (b_hr, b_hz, b_hn).
   * `'flax'`: `bias_hh_l0` is [H] and holds only b_hn (Flax's `hn` bias). With weights, the variant is
   * inferred from the length of `bias_hh_l0` when not given.
   */
  readonly variant?: GruVariant;
  /** Random init only: include biases (default true). */
  readonly bias?: boolean;
};

/** The parameter specs of a GRU (exported for weight tooling). */
export function gruSpecs(hidden: number, input: number, variant: GruVariant, bias: boolean): ParameterSpec[] {
  return [
    { name: 'weight_ih_l0', shape: [3 * hidden, input] },
    { name: 'weight_hh_l0', shape: [3 * hidden, hidden] },
    { name: 'bias_ih_l0', shape: [3 * hidden], optional: !bias },
    { name: 'bias_hh_l0', shape: [variant === 'flax' ? hidden : 3 * hidden], optional: !bias },
  ];
}

/** Loads or randomly initialises GRU parameters; shared with `ar-gru`. */
export function gruParameters(options: GruOptions, kind: string) {
  let H: number;
  let m: number;
  let variant: GruVariant;
  let params: ReturnType<typeof loadParameters>;
  if (hasWeights(options)) {
    const whh = requireWeight(options.weights, 'weight_hh_l0', kind);
    const wih = requireWeight(options.weights, 'weight_ih_l0', kind);
    if (whh.shape.length !== 2 || whh.shape[0] % 3 !== 0 || whh.shape[1] * 3 !== whh.shape[0]) {
      throw new ShapeError('weights.weight_hh_l0', 'shape [3H, H]', `shape [${whh.shape.join(', ')}]`);
    }
    H = whh.shape[1];
    m = wih.shape[1] ?? 0;
    const bhh = readWeight(options.weights, 'bias_hh_l0');
    variant = options.variant ?? (bhh !== undefined && bhh.data.length === H ? 'flax' : 'pytorch');
    params = loadParameters(options.weights, gruSpecs(H, m, variant, false), kind);
  } else {
    H = checkInteger(options.hiddenSize, 'options.hiddenSize');
    m = checkInteger(options.inputSize, 'options.inputSize', 0);
    variant = options.variant ?? 'pytorch';
    params = randomParameters(
      gruSpecs(H, m, variant, options.bias ?? true).filter((s) => !s.optional),
      H,
      options.seed,
      options.scale,
    );
  }
  if (variant !== 'pytorch' && variant !== 'flax')
    throw new ShapeError('options.variant', "'pytorch' or 'flax'", String(variant));
  return { H, m, variant, params };
}

/**
 * Creates a GRU cell (state n = H, input m) from PyTorch-named weights or a seeded random init
 * (U(−1/√H, 1/√H) × `scale` for every tensor, PyTorch's default). Jacobians: dense, diagonal
 * (each entry computed directly from the gates, O(H) extra after the step); parameter VJP.
 *
 * @example
 * ```ts
 * import { createGru } from '@antler/zoo';
 * const torchLike = createGru({ hiddenSize: 8, inputSize: 8, seed: 0 });
 * const flaxLike = createGru({ hiddenSize: 8, inputSize: 8, seed: 0, variant: 'flax' });
 * const h = new Float64Array(8);
 * torchLike.step(h, 0, new Float64Array(8).fill(0.5), 0, h, 0); // in place is fine
 * ```
 */
export function createGru(options: GruOptions): ZooCell {
  const { H, m, variant, params } = gruParameters(options, 'gru');
  const k = new GruKernel(
    H,
    m,
    params.weight_ih_l0.data,
    params.weight_hh_l0.data,
    params.bias_ih_l0?.data,
    params.bias_hh_l0?.data,
    variant === 'flax',
  );
  return {
    kind: 'gru',
    stateSize: H,
    inputSize: m,
    parameters: params,
    config: { variant, hiddenSize: H, inputSize: m, bias: params.bias_ih_l0 !== undefined },
    step(h, ho, x, xo, out, oo) {
      k.forward(h, ho, x, xo);
      k.output(h, ho, out, oo);
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      k.forward(h, ho, x, xo);
      k.coefficients(h, ho);
      k.denseHidden(jac, jo);
      k.output(h, ho, f, fo);
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dgo) {
      k.forward(h, ho, x, xo);
      k.coefficients(h, ho);
      for (let i = 0; i < H; i++) diag[dgo + i] = k.hiddenEntry(i, i);
      k.output(h, ho, f, fo);
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams) {
      k.forward(h, ho, x, xo);
      k.vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams);
    },
  };
}
