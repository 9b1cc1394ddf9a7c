/** Cells by kind name: the factory `antler solve --cell <kind>` uses. */
import { describeValue, ShapeError } from '@antler/core';
import { createArGru } from './cells/ar-gru.js';
import { createElman } from './cells/elman.js';
import { createGru, type GruVariant } from './cells/gru.js';
import { createLorenz96 } from './cells/lorenz96.js';
import { createLstm } from './cells/lstm.js';
import { createMinGru, createMinLstm } from './cells/min-rnn.js';
import { createParaGru, createParaLstm } from './cells/para-rnn.js';
import type { RandomInitOptions, WeightsLike } from './parameters.js';
import type { ZooCell } from './zoo-cell.js';

/** Every cell kind the zoo builds from weights or a seed. */
export const CELL_KINDS = [
  'elman',
  'gru',
  'lstm',
  'mingru',
  'minlstm',
  'para-gru',
  'para-lstm',
  'ar-gru',
  'lorenz96',
] as const;

/** A cell kind name, one of {@link CELL_KINDS}. */
export type CellKind = (typeof CELL_KINDS)[number];

/** Kind-specific settings that are not tensors. Each kind reads only its own. */
export interface CellKindOptions {
  /** elman: `'tanh'` (default) or `'relu'`. */
  readonly nonlinearity?: 'tanh' | 'relu';
  /** gru, ar-gru: bias placement. */
  readonly variant?: GruVariant;
  /** lorenz96: number of variables D. */
  readonly size?: number;
  /** lorenz96: forcing F (default 8). */
  readonly forcing?: number;
  /** lorenz96: RK4 step (default 0.01). */
  readonly dt?: number;
}

/** Throws a {@link ShapeError} unless `kind` is one of {@link CELL_KINDS}. */
export function checkCellKind(kind: unknown): CellKind {
  if (typeof kind === 'string' && (CELL_KINDS as readonly string[]).includes(kind)) return kind as CellKind;
  throw new ShapeError('kind', `one of ${CELL_KINDS.map((k) => `'${k}'`).join(', ')}`, describeValue(kind));
}

/**
 * Builds a cell of `kind` from PyTorch-named `weights` (a parsed JSON state dict or the tensors of a
 * `.safetensors` file). Sizes come from the tensor shapes (lorenz96: `options.size`).
 *
 * @example
 * ```ts
 * import { cellFromWeights } from '@antler/zoo';
 * const cell = cellFromWeights('elman', {
 *   weight_ih_l0: [[0.5], [-0.5]],
 *   weight_hh_l0: [[0.1, 0.2], [0.3, 0.4]],
 * }, { nonlinearity: 'relu' });
 * ```
 */
export function cellFromWeights(
  kind: CellKind | string,
  weights: WeightsLike,
  options: CellKindOptions = {},
): ZooCell {
  return build(checkCellKind(kind), { weights }, options);
}

/**
 * Builds a randomly initialised cell of `kind` (PyTorch's U(−1/√H, 1/√H) × `scale`, seeded).
 * For lorenz96, `hiddenSize` is D; for ar-gru, `inputSize` is ignored (it is 1).
 *
 * @example
 * ```ts
 * import { randomCell } from '@antler/zoo';
 * const cell = randomCell('gru', { hiddenSize: 8, inputSize: 8, seed: 0 }, { variant: 'flax' });
 * ```
 */
export function randomCell(
  kind: CellKind | string,
  init: RandomInitOptions,
  options: CellKindOptions = {},
): ZooCell {
  return build(checkCellKind(kind), init, options);
}

function build(
  kind: CellKind,
  source: { weights: WeightsLike } | RandomInitOptions,
  o: CellKindOptions,
): ZooCell {
  switch (kind) {
    case 'elman':
      return createElman({ ...source, nonlinearity: o.nonlinearity });
    case 'gru':
      return createGru({ ...source, variant: o.variant });
    case 'lstm':
      return createLstm(source);
    case 'mingru':
      return createMinGru(source);
    case 'minlstm':
      return createMinLstm(source);
    case 'para-gru':
      return createParaGru(source);
    case 'para-lstm':
      return createParaLstm(source);
    case 'ar-gru':
      return createArGru({ ...source, variant: o.variant });
    case 'lorenz96': {
      const size = 'weights' in source ? o.size : (o.size ?? source.hiddenSize);
      return createLorenz96({
        size: size as number,
        forcing: o.forcing,
        dt: o.dt,
        weights: 'weights' in source ? source.weights : undefined,
      });
    }
  }
}
