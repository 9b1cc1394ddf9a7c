/**
 * Element types. Antler stores data in flat typed arrays: `float64` (`Float64Array`) everywhere on the
 * CPU, `float32` (`Float32Array`) on the CPU and on GPUs (WGSL and gpu.js have no f64).
 */
import { DTypeError } from './errors.js';

/** The floating-point element types Antler computes in. */
export type DType = 'float64' | 'float32';

/** A flat array of floating-point numbers in one of Antler's dtypes. */
export type FloatArray = Float64Array | Float32Array;

/** Every dtype, in order of preference on the CPU. */
export const DTYPES: readonly DType[] = ['float64', 'float32'];

/** The typed-array class of a dtype. */
export type ArrayOf<D extends DType> = D extends 'float64' ? Float64Array : Float32Array;

/**
 * Allocates a zero-filled array of `length` elements of `dtype`.
 *
 * @example
 * ```ts
 * import { allocate } from '@antler/core';
 * const a = allocate('float32', 4); // Float32Array [0, 0, 0, 0]
 * ```
 */
export function allocate<D extends DType>(dtype: D, length: number): ArrayOf<D> {
  if (dtype === 'float64') return new Float64Array(length) as ArrayOf<D>;
  if (dtype === 'float32') return new Float32Array(length) as ArrayOf<D>;
  throw new DTypeError('dtype', "'float64' or 'float32'", JSON.stringify(dtype));
}

/** The dtype of a typed array, or a {@link DTypeError} naming `argument` when it is not a float array. */
export function dtypeOf(array: unknown, argument = 'array'): DType {
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Float32Array) return 'float32';
  throw new DTypeError(argument, 'Float64Array or Float32Array', describeValue(array));
}

/** Throws a {@link DTypeError} unless `dtype` is one of {@link DTYPES}. */
export function checkDType(dtype: unknown, argument = 'dtype'): DType {
  if (dtype === 'float64' || dtype === 'float32') return dtype;
  throw new DTypeError(argument, "'float64' or 'float32'", describeValue(dtype));
}

/** Bytes per element of a dtype. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name}(${(value as { length?: number }).length ?? '?'})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return `${typeof value} ${String(value)}`;
}
