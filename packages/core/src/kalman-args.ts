/**
 * Validation of {@link KalmanScanArgs}, shared by every backend (CPU and GPU) so that all of them accept
 * and reject exactly the same calls, with the same messages.
 */
import type { KalmanScanArgs } from './backend.js';
import { describeValue, dtypeOf } from './dtype.js';
import { DTypeError, ShapeError } from './errors.js';
import type { ResolvedView } from './layout.js';
import { checkInteger, checkView } from './validate.js';

/** Kalman scan arguments with sizes checked and views resolved. */
export interface ResolvedKalmanArgs {
  readonly structure: 'dense' | 'diagonal';
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly a: ResolvedView;
  readonly b: ResolvedView;
  /** `null` for a zero initial state. Only offset and batchStride matter. */
  readonly s0: ResolvedView | null;
  readonly y: ResolvedView;
  readonly out: ResolvedView;
  readonly q: number;
  readonly r: number;
  readonly smooth: boolean;
}

function checkVariance(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new ShapeError(argument, 'a finite number > 0', describeValue(value));
  }
  return value;
}

/**
 * Checks every size, stride, dtype and variance of a Kalman scan call; throws {@link ShapeError} /
 * {@link DTypeError} naming the argument.
 */
export function resolveKalmanArgs(args: KalmanScanArgs): ResolvedKalmanArgs {
  const batch = checkInteger(args.batch, 'batch');
  const length = checkInteger(args.length, 'length');
  const size = checkInteger(args.size, 'size');
  const structure = args.structure;
  if (structure !== 'dense' && structure !== 'diagonal') {
    throw new ShapeError('structure', "'dense' or 'diagonal'", JSON.stringify(structure));
  }
  const shape = { batch, length };
  const a =
    structure === 'dense'
      ? checkView('a', args.a, shape, size * size, ['B', 'T', 'n×n'])
      : checkView('a', args.a, shape, size, ['B', 'T', 'n']);
  const b = checkView('b', args.b, shape, size, ['B', 'T', 'n']);
  const y = checkView('y', args.y, shape, size, ['B', 'T', 'n']);
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
  const q = checkVariance(args.processVariance, 'processVariance');
  const r = checkVariance(args.observationVariance, 'observationVariance');
  const dtype = dtypeOf(out.data, 'out');
  for (const [name, v] of [
    ['a', a],
    ['b', b],
    ['y', y],
    ['s0', s0],
  ] as const) {
    if (v && dtypeOf(v.data, name) !== dtype) {
      throw new DTypeError(name, `${dtype} like out`, v.data.constructor.name);
    }
  }
  return { structure, batch, length, size, a, b, s0, y, out, q, r, smooth: !!args.smooth };
}
