/**
 * `@antler/solvers` — DEER, quasi-DEER, ELK and quasi-ELK: parallel-in-time Newton solvers for nonlinear recurrences, written once against the core backend interface.
 *
 * @packageDocumentation
 */
export * from './gradient/adjoint.js';
export * from './gradient/adjoint-workspace.js';
export * from './gradient/gradient-unavailable-error.js';
export * from './gradient/types.js';
export * from './gradient/differentiate-solution.js';
export * from './train/adam.js';
export * from './train/final-state-classifier.js';
export * from './train/random.js';
export * from './train/train-classifier.js';
