/** Validation of {@link AffineScanArgs} shared by every CPU algorithm. */
import {
  type AffineScanArgs,
  checkInteger,
  checkView,
  DTypeError,
  dtypeOf,
  operatorStepSize,
  type ResolvedView,
  ShapeError,
} from '@antler/core';

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

/** Checks every size, stride and dtype of an affine scan call; throws ShapeError / DTypeError naming the argument. */
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
