/** Named parameter tensors: how cells expose their weights (PyTorch state_dict style). */

/** A dense row-major tensor of float64 parameters with its shape. */
export interface Tensor {
  /** Dimensions, outermost first (for example `[3 * hidden, input]` for PyTorch's `weight_ih_l0`). */
  readonly shape: readonly number[];
  /** Row-major data; its length is the product of `shape`. */
  readonly data: Float64Array;
}

/** A cell's parameters by name, in PyTorch state_dict naming where one exists. */
export type TensorMap = Readonly<Record<string, Tensor>>;

/** Gradient buffers by parameter name, same names and lengths as a {@link TensorMap}. */
export type GradientMap = Record<string, Float64Array>;

/** Zero-filled gradient buffers with the layout of `params`. */
export function zerosLike(params: TensorMap): GradientMap {
  const out: GradientMap = {};
  for (const [name, t] of Object.entries(params)) out[name] = new Float64Array(t.data.length);
  return out;
}
