/**
 * `@antler/solvers` — DEER, quasi-DEER, ELK and quasi-ELK: parallel-in-time Newton solvers for nonlinear recurrences, written once against the core backend interface.
 *
 * @packageDocumentation
 */
export {};
