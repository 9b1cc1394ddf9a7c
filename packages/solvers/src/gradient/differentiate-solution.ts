/**
 * Gradients of a loss at a {@link SolveResult}: the link between a forward solve (any method) and the
 * exact adjoint. Refuses, by default, to differentiate a trajectory that did not converge.
 */
import {
  type Cell,
  ConvergenceError,
  checkLength,
  type FloatArray,
  type SolveOptions,
  type SolveResult,
  ShapeError,
} from '@antler/core';
import { differentiateTrajectory, differentiateTrajectorySync } from './adjoint.js';
import type { AdjointOptions, GradientResult } from './types.js';

/** Sizes handed to a {@link LossFunction}. */
export interface TrajectoryShape {
  readonly batch: number;
  readonly length: number;
  readonly size: number;
}

/** A loss of the states `[B][T][n]`: its value and its cotangent ∂L/∂s (`[B][T][n]`). */
export type LossFunction = (
  states: FloatArray,
  shape: TrajectoryShape,
) => { loss: number; cotangent: FloatArray };

/** A cotangent g = ∂L/∂s (`[B][T][n]`, for L = Σ_t ⟨g_t, s_t⟩ when g is fixed), or a {@link LossFunction}. */
export type CotangentOrLoss = FloatArray | LossFunction;

/** Options of the gradient step that follows a solve. */
export interface GradientOptions
  extends Pick<
    AdjointOptions,
    'adjoint' | 'adjointPath' | 'inputGradients' | 'workspace' | 'maxJacobianBytes'
  > {
  /**
   * What to do when the forward solve did not converge: `throw` (default) a ConvergenceError carrying the
   * solve result, or `report`: compute the gradient at that trajectory and return it with `converged: false`.
   */
  readonly onUnconverged?: 'throw' | 'report';
}

/** A solve, the loss (when a loss function was given) and the gradients. */
export interface SolveAndGradientResult {
  /** The forward solve. */
  readonly solve: SolveResult;
  /** L, when a {@link LossFunction} was given; else Σ ⟨g, s⟩ for the given cotangent. */
  readonly loss: number;
  /** The gradients (its `converged` repeats the solve's). */
  readonly gradient: GradientResult;
}

function resolveCotangent(
  solution: SolveResult,
  cotangentOrLoss: CotangentOrLoss,
): { loss: number; cotangent: FloatArray } {
  const shape = { batch: solution.batch, length: solution.length, size: solution.size };
  const dims = [shape.batch, shape.length, shape.size];
  if (typeof cotangentOrLoss === 'function') {
    const out = cotangentOrLoss(solution.states, shape);
    if (!out || typeof out.loss !== 'number')
      throw new ShapeError('loss function result', '{ loss: number, cotangent }', String(out));
    checkLength('cotangent (from the loss function)', out.cotangent, dims, ['B', 'T', 'n']);
    return out;
  }
  const g = checkLength('cotangent', cotangentOrLoss, dims, ['B', 'T', 'n']);
  let loss = 0;
  for (let i = 0; i < g.length; i++) loss += g[i] * solution.states[i];
  return { loss, cotangent: g };
}

function checkConverged(solution: SolveResult, options: GradientOptions): void {
  const policy = options.onUnconverged ?? 'throw';
  if (policy !== 'throw' && policy !== 'report')
    throw new ShapeError('onUnconverged', "'throw' or 'report'", JSON.stringify(policy));
  if (!solution.converged && policy === 'throw') {
    const bad = solution.convergedPerSequence.map((c, i) => (c ? -1 : i)).filter((i) => i >= 0);
    throw new ConvergenceError(
      `the ${solution.method} solve did not converge (sequences ${bad.join(', ')}; residual ${solution.residual.toExponential(2)} after ${solution.iterations} iterations), so its gradient would be that of a wrong trajectory; raise maxIter, use an ELK method, or pass onUnconverged: 'report'`,
      solution,
    );
  }
}

function adjointOptions(
  solveOptions: SolveOptions,
  options: GradientOptions,
  solution: SolveResult,
): AdjointOptions {
  return {
    adjoint: options.adjoint,
    adjointPath: options.adjointPath,
    inputGradients: options.inputGradients,
    workspace: options.workspace,
    maxJacobianBytes: options.maxJacobianBytes,
    batch: solution.batch,
    length: solution.length,
    h0: solveOptions.h0,
    backend: solveOptions.backend,
  };
}

/**
 * Gradients at an existing solve (synchronous). `solveOptions` must be the options the solve ran with
 * (its `h0` and `backend` are reused).
 *
 * @throws ConvergenceError when the solve did not converge (unless `onUnconverged: 'report'`).
 */
export function differentiateSolutionSync(
  cell: Cell,
  inputs: FloatArray | null,
  solution: SolveResult,
  cotangentOrLoss: CotangentOrLoss,
  solveOptions: SolveOptions = {},
  options: GradientOptions = {},
): SolveAndGradientResult {
  checkConverged(solution, options);
  const { loss, cotangent } = resolveCotangent(solution, cotangentOrLoss);
  const gradient = differentiateTrajectorySync(
    cell,
    inputs,
    solution.states,
    cotangent,
    adjointOptions(solveOptions, options, solution),
    solution.converged,
  );
  return { solve: solution, loss, gradient };
}

/**
 * Gradients at an existing solve (asynchronous: any backend runs the reverse scan).
 *
 * @example
 * ```ts
 * import { differentiateSolution, solve } from '@antler/solvers';
 * const opts = { method: 'quasi-deer', batch: 2 } as const;
 * const solution = await solve(cell, inputs, opts);
 * const { gradient } = await differentiateSolution(cell, inputs, solution, cotangent, opts);
 * gradient.exact; // true: quasi-DEER's forward pass, the exact dense adjoint
 * ```
 */
export async function differentiateSolution(
  cell: Cell,
  inputs: FloatArray | null,
  solution: SolveResult,
  cotangentOrLoss: CotangentOrLoss,
  solveOptions: SolveOptions = {},
  options: GradientOptions = {},
): Promise<SolveAndGradientResult> {
  checkConverged(solution, options);
  const { loss, cotangent } = resolveCotangent(solution, cotangentOrLoss);
  const gradient = await differentiateTrajectory(
    cell,
    inputs,
    solution.states,
    cotangent,
    adjointOptions(solveOptions, options, solution),
    solution.converged,
  );
  return { solve: solution, loss, gradient };
}
