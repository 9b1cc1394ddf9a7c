/**
 * The zoo's side of the ODE vector-field contract. It is structurally identical to `VectorField` in
 * `@antler/solvers` (the zoo depends on core only), so zoo fields pass straight to `solveIVP`.
 */
import type { FloatArray, GradientMap, TensorMap } from '@antler/core';

/** A vector field f(y, x(t), t) with analytic Jacobians; see `VectorField` in `@antler/solvers`. */
export interface OdeVectorField {
  /** State size n. */
  readonly stateSize: number;
  /** Input size m of x(t). */
  readonly inputSize: number;
  /** Named parameters. */
  readonly parameters?: TensorMap;
  /** True when f does not depend on t explicitly. */
  readonly autonomous?: boolean;
  /** Writes ∂f/∂t at fixed y and x. */
  timeDerivative?(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    out: FloatArray,
    outOffset: number,
  ): void;
  /** Writes f(y, x, t) to `out[outOffset …]`. */
  evaluate(
    y: FloatArray,
    yOffset: number,
    x: FloatArray,
    xOffset: number,
    t: number,
    out: FloatArray,
    outOffset: number,
  ): void;
  /** Writes f and the row-major n×n Jacobian ∂f/∂y. */
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
  /** Writes f and the diagonal of ∂f/∂y. */
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
  /** Adds gᵀ∂f/∂y to `gradY`, gᵀ∂f/∂x to `gradX` and gᵀ∂f/∂θ to `gradParams`. */
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
