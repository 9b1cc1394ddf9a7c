/**
 * `solveAndDifferentiate`: the training entry point. A forward solve with any method, then exact
 * gradients by implicit differentiation at the converged trajectory (one reverse transposed scan and a
 * VJP per step), never backpropagation through the Newton iterations.
 */
import type { Cell, FloatArray, SolveOptions } from '@antler/core';
import { getDefaultBackend, solve, solveSync } from '../solve.js';
import {
  type CotangentOrLoss,
  differentiateSolution,
  differentiateSolutionSync,
  type GradientOptions,
  type SolveAndGradientResult,
} from './differentiate-solution.js';

/** Options of {@link solveAndDifferentiate}: every solve option plus the gradient options. */
export interface SolveAndDifferentiateOptions extends SolveOptions, GradientOptions {}

const NO_INPUTS = new Float64Array(0);

function withBackend(options: SolveAndDifferentiateOptions): SolveAndDifferentiateOptions {
  // The reverse scan runs where the forward scans ran (the solver's default backend when none is given).
  return options.backend ? options : { ...options, backend: getDefaultBackend() };
}

/**
 * Solves the recurrence with `options.method` (default DEER), then returns the loss and its exact gradients
 * with respect to the cell's parameters (by name), the inputs and h0.
 *
 * The cotangent is either a fixed `[B][T][n]` array g (the loss is then L = Σ_t ⟨g_t, s_t⟩) or a loss
 * function `(states, shape) => { loss, cotangent }`. Quasi methods get the exact dense adjoint unless
 * `adjoint: 'approximate-diagonal'` is asked for (the result's `gradient.exact` says which). A solve that
 * did not converge throws a ConvergenceError (its gradient would be that of a wrong trajectory) unless
 * `onUnconverged: 'report'`.
 *
 * @example
 * ```ts
 * import { solveAndDifferentiate } from '@antler/solvers';
 * import { createGru } from '@antler/zoo';
 * const cell = createGru({ hiddenSize: 8, inputSize: 1, seed: 0 });
 * const T = 1000;
 * const inputs = Float64Array.from({ length: T }, (_, t) => Math.sin(t / 10));
 * const ones = new Float64Array(T * 8).fill(1); // L = Σ_t Σ_i s_t[i]
 * const { loss, gradient, solve } = await solveAndDifferentiate(cell, inputs, ones, { method: 'quasi-deer' });
 * gradient.params.weight_hh_l0; // ∂L/∂W_hh, [3·8][8] row-major, exact
 * gradient.exact; // true
 * solve.iterations; // quasi-DEER Newton iterations of the forward pass
 * ```
 */
export async function solveAndDifferentiate(
  cell: Cell,
  inputs: FloatArray | null,
  cotangentOrLoss: CotangentOrLoss,
  options: SolveAndDifferentiateOptions = {},
): Promise<SolveAndGradientResult> {
  const opts = withBackend(options);
  const solution = await solve(cell, inputs, opts);
  return differentiateSolution(cell, inputs ?? NO_INPUTS, solution, cotangentOrLoss, opts, opts);
}

/**
 * The synchronous {@link solveAndDifferentiate} (CPU backends).
 *
 * @example
 * ```ts
 * import { solveAndDifferentiateSync } from '@antler/solvers';
 * const { gradient } = solveAndDifferentiateSync(cell, inputs, cotangent, { method: 'deer', batch: 4 });
 * ```
 */
export function solveAndDifferentiateSync(
  cell: Cell,
  inputs: FloatArray | null,
  cotangentOrLoss: CotangentOrLoss,
  options: SolveAndDifferentiateOptions = {},
): SolveAndGradientResult {
  const opts = withBackend(options);
  const solution = solveSync(cell, inputs, opts);
  return differentiateSolutionSync(cell, inputs ?? NO_INPUTS, solution, cotangentOrLoss, opts, opts);
}
