/**
 * `@antler/solvers` — DEER, quasi-DEER, ELK and quasi-ELK: parallel-in-time Newton solvers for nonlinear recurrences, written once against the core backend interface.
 *
 * @packageDocumentation
 */
export * from './gradient/adjoint.js';
export * from './gradient/gradient-unavailable-error.js';
export * from './gradient/types.js';
