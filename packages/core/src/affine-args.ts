/**
 * Validation of {@link AffineScanArgs}, shared by every scan backend (CPU and GPU) so that all of them
 * accept and reject exactly the same calls, with the same messages.
 */
import type { AffineScanArgs } from './backend.js';
import { DTypeError, ShapeError } from './errors.js';
import { dtypeOf } from './dtype.js';
import { operatorStepSize, type ResolvedView } from './layout.js';
import { checkInteger, checkView } from './validate.js';

/** Affine scan arguments with sizes checked and views resolved. */
export interface ResolvedAffineArgs {
  readonly structure: AffineScanArgs['structure'];
  readonly blockSize: number;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly a: ResolvedView;
  readonly b: ResolvedView;
  /** `null` for a zero start. Only offset and batchStride matter. */
  readonly s0: ResolvedView | null;
  readonly out: ResolvedView;
  readonly reverse: boolean;
  readonly transpose: boolean;
}

/**
 * Checks every size, stride and dtype of an affine scan call and resolves its views; throws
 * {@link ShapeError} / {@link DTypeError} naming the argument. `blockSize` is 1 unless the structure is
 * `block`; `s0` defaults to a contiguous `[B][n]` layout.
 *
 * @example
 * ```ts
 * import { resolveAffineArgs } from '@antler/core';
 * const r = resolveAffineArgs({
 *   structure: 'diagonal', batch: 1, length: 3, size: 2,
 *   a: { data: new Float64Array(6) }, b: { data: new Float64Array(6) }, out: { data: new Float64Array(6) },
 * });
 * r.out.timeStride; // 2
 * ```
 */
export function resolveAffineArgs(args: AffineScanArgs): ResolvedAffineArgs {
  const batch = checkInteger(args.batch, 'batch');
  const length = checkInteger(args.length, 'length');
  const size = checkInteger(args.size, 'size');
  const structure = args.structure;
  if (structure !== 'dense' && structure !== 'diagonal' && structure !== 'block') {
    throw new ShapeError('structure', "'dense', 'diagonal' or 'block'", JSON.stringify(structure));
  }
  const blockSize = structure === 'block' ? checkInteger(args.blockSize ?? 2, 'blockSize') : 1;
  if (structure === 'block' && size % blockSize !== 0) {
    throw new ShapeError('size', `a multiple of blockSize ${blockSize}`, String(size));
  }
  const shape = { batch, length };
  const aStep = operatorStepSize(structure, size, blockSize);
  const aNames =
    structure === 'dense'
      ? ['B', 'T', 'n×n']
      : structure === 'diagonal'
        ? ['B', 'T', 'n']
        : ['B', 'T', 'n·k'];
  const a = checkView('a', args.a, shape, aStep, aNames);
  const b = checkView('b', args.b, shape, size, ['B', 'T', 'n']);
  const out = checkView('out', args.out, shape, size, ['B', 'T', 'n']);
  const s0 = args.s0
    ? checkView(
        's0',
        { ...args.s0, timeStride: 0, batchStride: args.s0.batchStride ?? size },
        { batch, length: 1 },
        size,
        ['B', '1', 'n'],
      )
    : null;
  const dtype = dtypeOf(out.data, 'out');
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['s0', s0],
  ] as const) {
    if (v && dtypeOf(v.data, name) !== dtype) {
      throw new DTypeError(name, `${dtype} like out`, v.data.constructor.name);
    }
  }
  return {
    structure,
    blockSize,
    batch,
    length,
    size,
    a,
    b,
    s0,
    out,
    reverse: !!args.reverse,
    transpose: !!args.transpose,
  };
}
