/**
 * Validation helpers shared by every package: they throw the typed errors of `errors.ts` with a message
 * naming the argument and the expected shape.
 */
import { describeValue, type FloatArray } from './dtype.js';
import { NonFiniteError, ShapeError } from './errors.js';
import { type ResolvedView, resolveView, type SequenceView, viewExtent } from './layout.js';

/** Throws a {@link ShapeError} unless `value` is an integer ≥ `min`. Returns it. */
export function checkInteger(value: unknown, argument: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ShapeError(argument, `an integer ≥ ${min}`, describeValue(value));
  }
  return value;
}

/**
 * Formats a shape with named axes, e.g. `formatShape([2, 5, 3], ['B', 'T', 'n'])` → `shape [B=2][T=5][n=3] (30 elements)`.
 */
export function formatShape(dims: readonly number[], names?: readonly string[]): string {
  const axes = dims.map((d, i) => `[${names?.[i] ? `${names[i]}=` : ''}${d}]`).join('');
  return `shape ${axes} (${dims.reduce((p, d) => p * d, 1)} elements)`;
}

/**
 * Throws a {@link ShapeError} unless `array` is a float typed array with exactly the product of `dims` elements.
 *
 * @example
 * ```ts
 * import { checkLength } from '@antler/core';
 * checkLength('h0', new Float64Array(3), [1, 3], ['B', 'n']); // ok
 * // checkLength('h0', new Float64Array(2), [1, 3], ['B', 'n'])
 * //   → ShapeError "h0: expected shape [B=1][n=3] (3 elements), got length 2"
 * ```
 */
export function checkLength(
  argument: string,
  array: unknown,
  dims: readonly number[],
  names?: readonly string[],
): FloatArray {
  const expected = dims.reduce((p, d) => p * d, 1);
  if (!(array instanceof Float64Array || array instanceof Float32Array)) {
    throw new ShapeError(
      argument,
      `a Float64Array or Float32Array of ${formatShape(dims, names)}`,
      describeValue(array),
    );
  }
  if (array.length !== expected) {
    throw new ShapeError(argument, formatShape(dims, names), `length ${array.length}`);
  }
  return array;
}

/**
 * Resolves a strided view and checks that every element it addresses lies inside its array.
 * Throws a {@link ShapeError} naming `argument` otherwise.
 */
export function checkView<A extends FloatArray>(
  argument: string,
  view: SequenceView<A> | undefined | null,
  shape: { batch: number; length: number },
  stepSize: number,
  names: readonly string[] = ['B', 'T', 'step'],
): ResolvedView<A> {
  if (!view || !(view.data instanceof Float64Array || view.data instanceof Float32Array)) {
    throw new ShapeError(
      argument,
      `a view { data: Float64Array | Float32Array, offset?, batchStride?, timeStride? } over ${formatShape([shape.batch, shape.length, stepSize], names)}`,
      describeValue(view?.data ?? view),
    );
  }
  const r = resolveView(view, shape.length, stepSize);
  for (const [k, v] of [
    ['offset', r.offset],
    ['timeStride', r.timeStride],
    ['batchStride', r.batchStride],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ShapeError(`${argument}.${k}`, 'a non-negative integer', describeValue(v));
    }
  }
  const extent = viewExtent(r, shape, stepSize);
  if (extent > r.data.length) {
    throw new ShapeError(
      argument,
      `${formatShape([shape.batch, shape.length, stepSize], names)} at offset ${r.offset}, batchStride ${r.batchStride}, timeStride ${r.timeStride} (needs ${extent} elements)`,
      `length ${r.data.length}`,
    );
  }
  return r;
}

/** Index of the first non-finite element of `array[start, end)`, or -1 when all are finite. */
export function firstNonFinite(array: ArrayLike<number>, start = 0, end = array.length): number {
  for (let i = start; i < end; i++) {
    const v = array[i];
    // v - v is 0 for finite v and NaN for NaN or ±Infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Throws a {@link NonFiniteError} naming `argument` if any element of `array` is NaN or ±Infinity. */
export function checkFinite(argument: string, array: ArrayLike<number>): void {
  const i = firstNonFinite(array);
  if (i >= 0) throw new NonFiniteError(argument, i, array[i]);
}
