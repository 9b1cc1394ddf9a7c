/**
 * `@antler/solvers` — DEER, quasi-DEER, ELK and quasi-ELK: parallel-in-time Newton solvers for nonlinear recurrences, written once against the core backend interface.
 *
 * @packageDocumentation
 */
export * from './convergence.js';
export * from './elk/discount.js';
export * from './elk/trust-region.js';
export * from './invalid-option-error.js';
export * from './methods/anderson.js';
export * from './methods/method-spec.js';
export * from './options.js';
export * from './sequential.js';
export * from './solve.js';
export * from './gradient/adjoint.js';
export * from './gradient/adjoint-workspace.js';
export * from './gradient/gradient-unavailable-error.js';
export * from './gradient/types.js';
export * from './gradient/differentiate-solution.js';
export * from './gradient/ivp-adjoint.js';
export * from './gradient/solve-and-differentiate.js';
export * from './train/adam.js';
export * from './train/final-state-classifier.js';
export * from './train/random.js';
export * from './train/train-classifier.js';
export * from './ode/deer-ivp.js';
export * from './ode/dopri5.js';
export * from './ode/exponential-discretisation.js';
export * from './ode/expm.js';
export * from './ode/input-interpolation.js';
export * from './ode/ivp-types.js';
export * from './ode/linearise-field.js';
export * from './ode/rk4.js';
export * from './ode/solve-ivp.js';
export * from './ode/vector-field.js';
export * from './ode/time-derivative.js';
export * from './ode/adjoint-ivp.js';
