/**
 * Runs a solve one Newton iteration at a time so that every iterate can be drawn.
 *
 * - Fixed damping (DEER, quasi-DEER, Jacobi, ELK with a number λ): iteration k+1 is a solve with
 *   `maxIter: 1` warm-started from iterate k. Each of these steps depends only on the current iterate, so
 *   this is exactly the solver's own path.
 * - Adaptive λ (ELK methods with `lambda: 'adaptive'`): the trust-region state would restart at every warm
 *   start, so iterate k is a fresh solve with `maxIter: k` instead (quadratic cost in k; fine for a page).
 *
 * Tolerances are zero in the solves (always take the step); the page applies its own residual tolerance.
 */
import type { Cell, DType, FloatArray, Method, ScanBackend } from '@antler/core';
import { solve } from '@antler/solvers';

/** One iterate and how good it is. */
export interface Iterate {
  /** 1-based iteration number. */
  readonly iteration: number;
  /** States `[T][n]` after this iteration (float64 copy). */
  readonly states: Float64Array;
  /** max_t |s_t − f(s_{t−1}, x_t)|, recomputed here from the cell (independent of the solver's report). */
  readonly maxResidual: number;
  /** max |s − s_seq| against the sequential loop. */
  readonly maxError: number;
  /** The damping the solver used in this iteration (ELK methods). */
  readonly lambda?: number;
  /** What the solver reported (non-finite values, rejected steps, …). */
  readonly events: readonly string[];
  /** True when the iterate is non-finite or the solver stopped on a non-finite value: no point going on. */
  readonly diverged: boolean;
}

/** Options of {@link iterate}. */
export interface IterateOptions {
  readonly method: Method;
  /** ELK damping λ, or `'adaptive'` for the solver's trust-region rule. */
  readonly lambda: number | 'adaptive';
  readonly maxIter: number;
  /** Stop once the residual is at most this. */
  readonly tolerance: number;
  readonly backend?: ScanBackend;
  /** Element type of the solve (GPU backends are float32); the page's checks are float64 either way. */
  readonly dtype?: DType;
  readonly signal?: AbortSignal;
}

/** The sequential reference trajectory `[T][n]`: the plain loop. */
export function sequentialStates(
  cell: Cell,
  inputs: Float64Array,
  h0: Float64Array,
  length: number,
): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const out = new Float64Array(length * n);
  for (let t = 0; t < length; t++) {
    if (t === 0) cell.step(h0, 0, inputs, 0, out, 0);
    else cell.step(out, (t - 1) * n, inputs, t * m, out, t * n);
  }
  return out;
}

/** max_t |s_t − f(s_{t−1}, x_t)| of a trajectory; NaN/∞ anywhere gives Infinity (never hidden). */
export function maxResidual(
  cell: Cell,
  inputs: Float64Array,
  h0: Float64Array,
  states: Float64Array,
  length: number,
): number {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const f = new Float64Array(n);
  let worst = 0;
  for (let t = 0; t < length; t++) {
    if (t === 0) cell.step(h0, 0, inputs, 0, f, 0);
    else cell.step(states, (t - 1) * n, inputs, t * m, f, 0);
    for (let i = 0; i < n; i++) {
      const r = Math.abs(states[t * n + i] - f[i]);
      if (!(r <= worst)) worst = Number.isNaN(r) ? Infinity : r;
    }
  }
  return worst;
}

/** Yields every iterate until the residual meets the tolerance, the iterate diverges, maxIter, or abort. */
export async function* iterate(
  cell: Cell,
  inputs: Float64Array,
  h0: Float64Array,
  length: number,
  options: IterateOptions,
): AsyncGenerator<Iterate> {
  const reference = sequentialStates(cell, inputs, h0, length);
  const dtype = options.dtype ?? 'float64';
  const elk = options.method === 'elk' || options.method === 'quasi-elk';
  const adaptive = elk && options.lambda === 'adaptive';
  let guess: FloatArray =
    dtype === 'float32'
      ? new Float32Array(length * cell.stateSize)
      : new Float64Array(length * cell.stateSize);
  for (let k = 1; k <= options.maxIter; k++) {
    if (options.signal?.aborted) return;
    const result = await solve(cell, inputs, {
      method: options.method,
      dtype,
      length,
      h0,
      initialGuess: adaptive ? 'zeros' : guess,
      maxIter: adaptive ? k : 1,
      atol: 0,
      rtol: 0,
      backend: options.backend,
      elk: elk ? { lambda: options.lambda } : undefined,
    });
    guess = result.states;
    const states = Float64Array.from(guess);
    const res = maxResidual(cell, inputs, h0, states, length);
    let err = 0;
    for (let j = 0; j < states.length; j++) {
      const e = Math.abs(states[j] - reference[j]);
      if (!(e <= err)) err = Number.isNaN(e) ? Infinity : e;
    }
    const events = result.events.filter((e) => e.kind !== 'max-iterations');
    const diverged =
      !Number.isFinite(res) || events.some((e) => e.kind === 'non-finite' || e.kind === 'diverged');
    yield {
      iteration: k,
      states,
      maxResidual: res,
      maxError: err,
      lambda: result.history.at(-1)?.lambda,
      events: events.map((e) => `${e.kind}: ${e.message}`),
      diverged,
    };
    if (res <= options.tolerance || diverged) return;
  }
}
