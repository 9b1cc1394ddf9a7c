/** Builds strided views (with padding filled with NaN, so a kernel reading padding gets caught). */
import type { DType, FloatArray, SequenceView } from '@antler/core';

/** Layout padding of a strided view. */
export interface Padding {
  offset: number;
  /** Extra elements between steps. */
  time: number;
  /** Extra elements between batch members. */
  batch: number;
}

export const CONTIGUOUS: Padding = { offset: 0, time: 0, batch: 0 };

/** Copies a contiguous `[B][T][step]` float64 array into a strided view of `dtype`. */
export function toView(
  dtype: DType,
  src: ArrayLike<number>,
  batch: number,
  length: number,
  step: number,
  pad: Padding = CONTIGUOUS,
): SequenceView {
  const timeStride = step + pad.time;
  const batchStride = length * timeStride + pad.batch;
  const total = pad.offset + batch * batchStride;
  const data: FloatArray = dtype === 'float64' ? new Float64Array(total) : new Float32Array(total);
  data.fill(Number.NaN);
  for (let k = 0; k < batch; k++)
    for (let t = 0; t < length; t++)
      for (let i = 0; i < step; i++)
        data[pad.offset + k * batchStride + t * timeStride + i] = src[(k * length + t) * step + i];
  return { data, offset: pad.offset, timeStride, batchStride };
}

/** Reads a strided view back into a contiguous `[B][T][step]` float64 array. */
export function fromView(view: SequenceView, batch: number, length: number, step: number): Float64Array {
  const timeStride = view.timeStride ?? step;
  const batchStride = view.batchStride ?? length * timeStride;
  const off = view.offset ?? 0;
  const x = new Float64Array(batch * length * step);
  for (let k = 0; k < batch; k++)
    for (let t = 0; t < length; t++)
      for (let i = 0; i < step; i++)
        x[(k * length + t) * step + i] = view.data[off + k * batchStride + t * timeStride + i];
  return x;
}

/** Rounds to the storage dtype (what a float32 kernel actually sees). */
export function roundTo(dtype: DType, x: Float64Array): Float64Array {
  return dtype === 'float64' ? x : Float64Array.from(Float32Array.from(x));
}

/** Largest |x − ref| / max(1, |ref|) over all elements (NaN when a value is not finite). */
export function maxRelError(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(x[i] - ref[i]) / Math.max(1, Math.abs(ref[i]));
    if (!(d <= e)) e = d;
  }
  return e;
}
