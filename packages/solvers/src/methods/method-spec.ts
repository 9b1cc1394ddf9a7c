/**
 * Every method is one solver skeleton with two choices: which Jacobian structure linearises the step,
 * and which update rule turns the linearisation into the next trajectory.
 *
 * | method       | structure | update                                   |
 * |--------------|-----------|------------------------------------------|
 * | `jacobi`     | zero      | s_t ← f(s_{t−1}) (no scan needed)        |
 * | `deer`       | dense     | Newton step = dense affine scan          |
 * | `quasi-deer` | diagonal  | Newton step = diagonal affine scan       |
 * | `block-deer` | block     | Newton step = k×k block affine scan      |
 * | `elk`        | dense     | Levenberg–Marquardt step = Kalman scan   |
 * | `quasi-elk`  | diagonal  | Levenberg–Marquardt step = Kalman scan   |
 *
 * `sequential` is the plain loop and has no spec.
 */
import type { Method } from '@antler/core';

/** The Jacobian structure a method linearises with (`zero`: A_t = 0). */
export type MethodStructure = 'dense' | 'diagonal' | 'block' | 'zero';

/** How a linearisation becomes the next iterate. */
export type UpdateRule = 'fixed-point' | 'newton' | 'levenberg-marquardt';

/** A method's structure and update rule. */
export interface MethodSpec {
  readonly structure: MethodStructure;
  readonly update: UpdateRule;
}

/** The spec of every iterative method. */
export const METHOD_SPECS: Readonly<Record<Exclude<Method, 'sequential'>, MethodSpec>> = {
  jacobi: { structure: 'zero', update: 'fixed-point' },
  deer: { structure: 'dense', update: 'newton' },
  'quasi-deer': { structure: 'diagonal', update: 'newton' },
  'block-deer': { structure: 'block', update: 'newton' },
  elk: { structure: 'dense', update: 'levenberg-marquardt' },
  'quasi-elk': { structure: 'diagonal', update: 'levenberg-marquardt' },
};
