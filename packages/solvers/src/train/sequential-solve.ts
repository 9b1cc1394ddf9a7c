/**
 * The plain sequential loop as a {@link SolveResult}, for the `sequential` (BPTT) baseline of the training
 * loop: no Newton iterations, no scan, exactly what a hand-written RNN forward pass does.
 */
import { type Cell, type FloatArray, NonFiniteError, type SolveResult } from '@antler/core';

/**
 * Runs s_t = f(s_{t−1}, x_t) for `batch` sequences of `length` steps from zero initial states, in float64.
 * A non-finite state is a NonFiniteError naming the sequence and step.
 */
export function sequentialSolve(cell: Cell, inputs: FloatArray, batch: number, length: number): SolveResult {
  const started = performance.now();
  const n = cell.stateSize;
  const m = cell.inputSize;
  const states = new Float64Array(batch * length * n);
  const zero = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const k = b * length + t;
      if (t === 0) cell.step(zero, 0, inputs, k * m, states, k * n);
      else cell.step(states, (k - 1) * n, inputs, k * m, states, k * n);
      for (let i = 0; i < n; i++) {
        const v = states[k * n + i];
        if (v - v !== 0) throw new NonFiniteError('states', k * n + i, v, `sequence ${b}, step ${t + 1}`);
      }
    }
  }
  return {
    states,
    dtype: 'float64',
    method: 'sequential',
    batch,
    length,
    size: n,
    converged: true,
    convergedPerSequence: new Array<boolean>(batch).fill(true),
    iterations: 1,
    iterationsPerSequence: new Array<number>(batch).fill(1),
    residual: 0,
    history: [],
    events: [],
    backend: 'none',
    seconds: (performance.now() - started) / 1000,
  };
}
