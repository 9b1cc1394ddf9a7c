/**
 * `@antler/jacobian` — Linearisation of Antler cells: analytic and finite-difference Jacobians,
 * checkJacobian, diagonal estimators and Lyapunov diagnostics.
 *
 * @packageDocumentation
 */
export * from './check-jacobian.js';
export * from './diagonal-estimator.js';
export * from './finite-difference.js';
export * from './linearize.js';
export * from './lyapunov.js';
