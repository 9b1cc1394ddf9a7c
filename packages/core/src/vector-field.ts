/**
 * The VectorField contract: dy/dt = f(y, x(t), t) with analytic Jacobians — what `solveIVP` in
 * `@antler/solvers` integrates and what `@antler/zoo`'s NeuralODE fields implement.
 */
import type { FloatArray } from './dtype.js';
import type { GradientMap, TensorMap } from './tensor.js';

/**
 * A vector field f(y, x(t), t) of an ordinary differential equation dy/dt = f.
 *
 * Every vector argument is an `(array, offset)` pair addressing a contiguous slice. Only `stateSize`,
 * `inputSize` and `evaluate` are required; without `denseJacobian` the DEER methods fall back to finite
 * differences and report it in the events.
 *
 * @example
 * ```ts
 * import type { VectorField } from '@antler/core';
 * // Harmonic oscillator y'' = −y as the system (y₀, y₁)' = (y₁, −y₀).
 * const oscillator: VectorField = {
 *   stateSize: 2,
 *   inputSize: 0,
 *   evaluate(y, yo, _x, _xo, _t, out, oo) {
 *     out[oo] = y[yo + 1];
 *     out[oo + 1] = -y[yo];
 *   },
 *   denseJacobian(y, yo, x, xo, t, f, fo, jac, jo) {
 *     this.evaluate(y, yo, x, xo, t, f, fo);
 *     jac[jo] = 0; jac[jo + 1] = 1; jac[jo + 2] = -1; jac[jo + 3] = 0;
 *   },
 * };
 * ```
 */
export interface VectorField {
  /** State size n. */
  readonly stateSize: number;
  /** Input size m of x(t) (0 for autonomous fields). */
  readonly inputSize: number;
  /** Named parameters (for training). */
  readonly parameters?: TensorMap;
  /**
   * True when f does not depend on t explicitly (inputs may still vary). Lets the order-4 DEER
   * discretisation skip the finite-difference ∂f/∂t when `timeDerivative` is absent.
   */
  readonly autonomous?: boolean;
  /** Writes f(y, x, t) (n values) to `out[outOffset …]`. */
  evaluate(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    out: FloatArray,
    outOffset: number,
  ): void;
  /** Writes f and the dense Jacobian ∂f/∂y (row-major n×n, `jac[i*n+j] = ∂f_i/∂y_j`). */
  denseJacobian?(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    f: FloatArray,
    fOffset: number,
    jac: FloatArray,
    jacOffset: number,
  ): void;
  /** Writes f and the diagonal of ∂f/∂y (n values, computed directly). */
  diagonalJacobian?(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    f: FloatArray,
    fOffset: number,
    diag: FloatArray,
    diagOffset: number,
  ): void;
  /** Writes the partial derivative ∂f/∂t at fixed y and x (n values); finite differences when absent. */
  timeDerivative?(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    out: FloatArray,
    outOffset: number,
  ): void;
  /**
   * Vector–Jacobian product: **adds** gᵀ∂f/∂y to `gradY`, gᵀ∂f/∂x to `gradX` (when not null) and
   * gᵀ∂f/∂θ to `gradParams[name]` (when not null).
   */
  vjp?(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    g: FloatArray,
    gOffset: number,
    gradY: FloatArray,
    gradYOffset: number,
    gradX: FloatArray | null,
    gradXOffset: number,
    gradParams: GradientMap | null,
  ): void;
}
