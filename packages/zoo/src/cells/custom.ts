/** Cells from plain functions: the user's own recurrence with whatever derivatives they have. */
import { type Cell, checkInteger, describeValue, ShapeError, type TensorMap } from '@antler/core';

/** What {@link customCell} needs: sizes and a step; Jacobians and a VJP are optional. */
export interface CustomCellSpec {
  /** Kind reported to solvers and backends (default `'custom'`). */
  readonly kind?: string;
  /** State size n. */
  readonly stateSize: number;
  /** Input size m per step (0 for autonomous systems). */
  readonly inputSize: number;
  /** The step, with the core `Cell.step` signature (offsets into flat arrays). */
  readonly step: Cell['step'];
  /** Optional analytic dense Jacobian (see `Cell.denseJacobian`). */
  readonly denseJacobian?: Cell['denseJacobian'];
  /** Optional analytic diagonal of the Jacobian. */
  readonly diagonalJacobian?: Cell['diagonalJacobian'];
  /** Optional k×k diagonal blocks; needs `blockSize`. */
  readonly blockJacobian?: Cell['blockJacobian'];
  /** Block size k (n must be a multiple of k). */
  readonly blockSize?: number;
  /** Optional VJP (accumulating, see `Cell.vjp`). */
  readonly vjp?: Cell['vjp'];
  /** Named parameters the VJP differentiates. */
  readonly parameters?: TensorMap;
  /** Non-tensor settings. */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Validates a spec and returns it as a `Cell`. Without Jacobians, solvers linearise it by finite
 * differences (and say so in their events).
 *
 * @example
 * ```ts
 * import { customCell } from '@antler/zoo';
 * // y_t = y_{t−1}² + 0.5 x_t (the DEER paper's scalar example), with its exact Jacobian.
 * const cell = customCell({
 *   stateSize: 1,
 *   inputSize: 1,
 *   step: (h, ho, x, xo, out, oo) => { out[oo] = h[ho] * h[ho] + 0.5 * x[xo]; },
 *   diagonalJacobian: (h, ho, x, xo, f, fo, d, dgo) => {
 *     f[fo] = h[ho] * h[ho] + 0.5 * x[xo];
 *     d[dgo] = 2 * h[ho];
 *   },
 * });
 * ```
 */
export function customCell(spec: CustomCellSpec): Cell {
  if (!spec || typeof spec !== 'object')
    throw new ShapeError('spec', 'an object { stateSize, inputSize, step, … }', describeValue(spec));
  const n = checkInteger(spec.stateSize, 'spec.stateSize');
  const m = checkInteger(spec.inputSize, 'spec.inputSize', 0);
  for (const name of ['step', 'denseJacobian', 'diagonalJacobian', 'blockJacobian', 'vjp'] as const) {
    const fn = spec[name];
    if ((name === 'step' || fn !== undefined) && typeof fn !== 'function') {
      throw new ShapeError(`spec.${name}`, 'a function', describeValue(fn));
    }
  }
  if (spec.blockJacobian || spec.blockSize !== undefined) {
    const k = checkInteger(spec.blockSize, 'spec.blockSize');
    if (n % k !== 0) throw new ShapeError('spec.blockSize', `a divisor of stateSize ${n}`, String(k));
  }
  const cell: { -readonly [K in keyof Cell]: Cell[K] } = {
    kind: spec.kind ?? 'custom',
    stateSize: n,
    inputSize: m,
    step: spec.step,
  };
  if (spec.denseJacobian) cell.denseJacobian = spec.denseJacobian;
  if (spec.diagonalJacobian) cell.diagonalJacobian = spec.diagonalJacobian;
  if (spec.blockJacobian) {
    cell.blockJacobian = spec.blockJacobian;
    cell.blockSize = spec.blockSize;
  }
  if (spec.vjp) cell.vjp = spec.vjp;
  if (spec.parameters) cell.parameters = spec.parameters;
  if (spec.config) cell.config = spec.config;
  return cell;
}
