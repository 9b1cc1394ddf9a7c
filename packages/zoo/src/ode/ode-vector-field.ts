/**
 * The zoo's ODE fields implement the core `VectorField` contract, which `solveIVP` in `@antler/solvers`
 * integrates.
 */
import type { VectorField } from '@antler/core';

/** A vector field f(y, x(t), t) with analytic Jacobians: the core {@link VectorField}, under the zoo's name. */
export type OdeVectorField = VectorField;
