/** The shape every zoo cell has beyond the core `Cell`: parameters and config are always present. */
import type { Cell, Tensor } from '@antler/core';
import type { RandomInitOptions, WeightsLike } from './parameters.js';

/**
 * A core `Cell` whose `parameters` (PyTorch state_dict names, float64, mutable in place for training)
 * and `config` (what a GPU backend needs to reproduce it) are always present.
 */
export interface ZooCell extends Cell {
  /** Named parameter tensors; their `data` may be updated in place by an optimiser. */
  readonly parameters: Readonly<Record<string, Tensor>>;
  /** Non-tensor settings (activation, variant, sizes). */
  readonly config: Readonly<Record<string, string | number | boolean>>;
}

/** Options of a zoo cell constructor: either trained `weights`, or sizes for a seeded random init. */
export type CellSource = { readonly weights: WeightsLike } | RandomInitOptions;

/** True when `source` carries weights rather than random-init sizes. */
export function hasWeights(source: CellSource): source is { readonly weights: WeightsLike } {
  return (source as { weights?: unknown }).weights !== undefined;
}
