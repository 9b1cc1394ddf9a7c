/** Reusable scratch memory of the backward pass, so that training steps do not reallocate T·B·n² Jacobians. */

/**
 * Holds the Jacobian buffer of the reverse scan between calls (it grows to the largest size asked for).
 * Pass the same workspace to every backward pass of a training run; never share one between concurrent calls.
 *
 * @example
 * ```ts
 * import { AdjointWorkspace, differentiateTrajectorySync } from '@antler/solvers';
 * const workspace = new AdjointWorkspace();
 * for (const batch of batches) differentiateTrajectorySync(cell, batch.inputs, batch.states, batch.g, { workspace });
 * ```
 */
export class AdjointWorkspace {
  private jac: Float64Array = new Float64Array(0);

  /** A buffer of exactly `length` elements; its contents are whatever the last call left there. */
  jacobians(length: number): Float64Array {
    if (this.jac.length < length) this.jac = new Float64Array(length);
    return this.jac.subarray(0, length);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.jac.byteLength;
  }
}
