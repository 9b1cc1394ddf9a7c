/** The plain sequential loop: the reference every method is checked against, and the divergence fallback. */
import type { Cell, FloatArray } from '@antler/core';
import type { ResolvedProblem } from './options.js';

/**
 * Runs s_t = f(s_{t−1}, x_t) for one sequence, writing T·n states to `out[outOffset …]`. The cell computes
 * in double and stores into `out` (a Float32Array rounds each state, exactly what a float32 loop does).
 * Returns the first step (0-based) whose state is non-finite, or −1.
 */
export function runSequential(
  cell: Cell,
  length: number,
  h0: FloatArray,
  h0Offset: number,
  inputs: FloatArray,
  inputsOffset: number,
  out: FloatArray,
  outOffset: number,
): number {
  const n = cell.stateSize;
  const m = cell.inputSize;
  let bad = -1;
  for (let t = 0; t < length; t++) {
    if (t === 0) cell.step(h0, h0Offset, inputs, inputsOffset, out, outOffset);
    else cell.step(out, outOffset + (t - 1) * n, inputs, inputsOffset + t * m, out, outOffset + t * n);
    if (bad < 0) {
      for (let i = 0; i < n; i++) {
        const v = out[outOffset + t * n + i];
        if (v - v !== 0) {
          bad = t;
          break;
        }
      }
    }
  }
  return bad;
}

/**
 * {@link runSequential} for sequence `seq` of a resolved problem: its h0, its inputs, and its `[T][n]` slot
 * of the `[B][T][n]` array `out`.
 */
export function runProblemSequence(cell: Cell, p: ResolvedProblem, seq: number, out: FloatArray): number {
  return runSequential(
    cell,
    p.length,
    p.h0,
    seq * p.size,
    p.inputs,
    seq * p.length * p.inputSize,
    out,
    seq * p.length * p.size,
  );
}
