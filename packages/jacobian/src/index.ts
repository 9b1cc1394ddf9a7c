/**
 * `@antler/jacobian` — Linearisation of Antler cells: analytic and finite-difference Jacobians, checkJacobian, diagonal estimators and Lyapunov diagnostics.
 *
 * @packageDocumentation
 */
export {};
