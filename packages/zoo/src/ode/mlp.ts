/**
 * A plain multilayer perceptron u ↦ W_L σ(… σ(W_1 u + b_1) …) + b_L on flat typed arrays, with the
 * forward caches, Jacobian-column propagation and backpropagation the NeuralODE fields share.
 * Parameters are core `Tensor`s named `layers.{l}.weight` ([out][in], PyTorch `nn.Linear` layout) and
 * `layers.{l}.bias`.
 */
import { describeValue, ShapeError, type Tensor, type TensorMap } from '@antler/core';
import { createRandom } from '../random.js';
import { activationDerivatives, ODE_ACTIVATIONS, type OdeActivation } from './activation.js';

/** Shape of an MLP: layer widths from input to output and one activation per hidden layer. */
export interface MlpSpec {
  /** Widths [in, h_1, …, h_{L−1}, out]. */
  readonly widths: readonly number[];
  /** Activations of the L−1 hidden layers (the output layer is linear). */
  readonly activations: readonly OdeActivation[];
}

/** Weight name of layer l (0-based). */
export const mlpWeightName = (l: number): string => `layers.${l}.weight`;
/** Bias name of layer l (0-based). */
export const mlpBiasName = (l: number): string => `layers.${l}.bias`;

/**
 * Checks `spec` and `params` (when given) and returns the parameters, drawing missing ones with PyTorch's
 * `nn.Linear` default U(−1/√fan_in, 1/√fan_in) from `seed`.
 */
export function resolveMlpParameters(spec: MlpSpec, params: TensorMap | undefined, seed: number): TensorMap {
  const { widths, activations } = spec;
  if (!Array.isArray(widths) || widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new ShapeError('widths', 'at least two positive integer layer widths', describeValue(widths));
  }
  if (activations.length !== widths.length - 2) {
    throw new ShapeError(
      'activations',
      `${widths.length - 2} activations (one per hidden layer)`,
      `${activations.length}`,
    );
  }
  for (const a of activations) {
    if (!ODE_ACTIVATIONS.includes(a))
      throw new ShapeError('activations', ODE_ACTIVATIONS.join(' | '), describeValue(a));
  }
  const rng = createRandom(seed);
  const out: Record<string, Tensor> = {};
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l];
    const fanOut = widths[l + 1];
    const bound = 1 / Math.sqrt(fanIn);
    for (const [name, shape] of [
      [mlpWeightName(l), [fanOut, fanIn]],
      [mlpBiasName(l), [fanOut]],
    ] as const) {
      const given = params?.[name];
      const size = shape.reduce((p, d) => p * d, 1);
      if (given) {
        if (given.data.length !== size || given.shape.join() !== shape.join()) {
          throw new ShapeError(
            `parameters['${name}']`,
            `shape [${shape.join(', ')}]`,
            `shape [${given.shape.join(', ')}]`,
          );
        }
        out[name] = { shape: [...shape], data: Float64Array.from(given.data) };
      } else {
        out[name] = { shape: [...shape], data: rng.fillUniform(new Float64Array(size), -bound, bound) };
      }
    }
  }
  return out;
}

/**
 * Forward evaluation with caches: pre-activations z_l, activations a_l, σ'(z_l), σ''(z_l) per hidden
 * layer. Not re-entrant (one set of caches per instance).
 */
export class MlpKernel {
  readonly widths: readonly number[];
  readonly activations: readonly OdeActivation[];
  readonly weights: readonly Float64Array[];
  readonly biases: readonly Float64Array[];
  /** Hidden pre-activations z_l, l = 0 … L−2. */
  readonly z: Float64Array[];
  /** Hidden activations a_l. */
  readonly a: Float64Array[];
  /** σ'(z_l). */
  readonly d1: Float64Array[];
  /** σ''(z_l). */
  readonly d2: Float64Array[];
  /** The input u of the last forward pass. */
  readonly input: Float64Array;
  private readonly triple = new Float64Array(3);

  constructor(spec: MlpSpec, params: TensorMap) {
    this.widths = spec.widths;
    this.activations = spec.activations;
    const L = spec.widths.length - 1;
    this.weights = Array.from({ length: L }, (_, l) => params[mlpWeightName(l)].data);
    this.biases = Array.from({ length: L }, (_, l) => params[mlpBiasName(l)].data);
    const hidden = spec.widths.slice(1, -1);
    this.z = hidden.map((w) => new Float64Array(w));
    this.a = hidden.map((w) => new Float64Array(w));
    this.d1 = hidden.map((w) => new Float64Array(w));
    this.d2 = hidden.map((w) => new Float64Array(w));
    this.input = new Float64Array(spec.widths[0]);
  }

  /** Number of layers L (weight matrices). */
  get layers(): number {
    return this.weights.length;
  }

  /** Runs the forward pass on `this.input` and writes the output (widths[L] values) to `out[oo …]`. */
  forward(out: ArrayLike<number> & { [i: number]: number }, oo: number): void {
    const L = this.layers;
    let prev: Float64Array = this.input;
    for (let l = 0; l < L; l++) {
      const W = this.weights[l];
      const b = this.biases[l];
      const rows = this.widths[l + 1];
      const cols = this.widths[l];
      const last = l === L - 1;
      for (let r = 0; r < rows; r++) {
        let s = b[r];
        for (let c = 0; c < cols; c++) s += W[r * cols + c] * prev[c];
        if (last) out[oo + r] = s;
        else {
          this.z[l][r] = s;
          activationDerivatives(this.activations[l], s, this.triple);
          this.a[l][r] = this.triple[0];
          this.d1[l][r] = this.triple[1];
          this.d2[l][r] = this.triple[2];
        }
      }
      if (!last) prev = this.a[l];
    }
  }
}
