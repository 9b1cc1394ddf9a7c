/** Validation of {@link AffineScanArgs} for the gpu.js backend (float32 only). */
import {
  type AffineScanArgs,
  checkInteger,
  checkView,
  DTypeError,
  describeValue,
  operatorStepSize,
  type ResolvedView,
  ShapeError,
} from '@antler/core';

/** Affine scan arguments with sizes checked and views resolved; every array is a Float32Array. */
export interface CheckedAffineArgs {
  readonly structure: AffineScanArgs['structure'];
  /** Size k of the independent k×k problems: n (dense), blockSize (block) or 1 (diagonal). */
  readonly k: number;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly a: ResolvedView<Float32Array>;
  readonly b: ResolvedView<Float32Array>;
  readonly s0: ResolvedView<Float32Array> | null;
  readonly out: ResolvedView<Float32Array>;
  readonly reverse: boolean;
  readonly transpose: boolean;
}

/** Largest k of a dense scan: each step of the scan multiplies k×k matrices in one kernel thread. */
export const MAX_DENSE_SIZE = 16;

function float32(argument: string, view: ResolvedView): ResolvedView<Float32Array> {
  if (!(view.data instanceof Float32Array)) {
    throw new DTypeError(
      argument,
      'Float32Array (gpu.js computes in float32 only)',
      describeValue(view.data),
    );
  }
  return view as ResolvedView<Float32Array>;
}

/** Checks every size, stride and dtype; throws ShapeError / DTypeError naming the argument. */
export function checkAffineArgs(args: AffineScanArgs): CheckedAffineArgs {
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
  const k = structure === 'dense' ? size : blockSize;
  if (structure !== 'diagonal' && k > MAX_DENSE_SIZE) {
    throw new ShapeError(
      structure === 'dense' ? 'size' : 'blockSize',
      `at most ${MAX_DENSE_SIZE} for a ${structure} gpu.js scan (O(k³ T log T) work)`,
      String(k),
    );
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
        // One state per sequence: contiguous [B][n] unless a batch stride is given.
        { ...args.s0, timeStride: 0, batchStride: args.s0.batchStride ?? size },
        { batch, length: 1 },
        size,
        ['B', '1', 'n'],
      )
    : null;
  return {
    structure,
    k,
    batch,
    length,
    size,
    a: float32('a', a),
    b: float32('b', b),
    s0: s0 ? float32('s0', s0) : null,
    out: float32('out', out),
    reverse: !!args.reverse,
    transpose: !!args.transpose,
  };
}
