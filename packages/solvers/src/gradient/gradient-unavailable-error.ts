/** The error thrown when a cell cannot be differentiated the way it was asked to be. */
import { AntlerError } from '@antler/core';

/**
 * A gradient cannot be computed for this cell (for example it has no `vjp`, or the approximate diagonal
 * adjoint was asked for a cell with neither `diagonalJacobian` nor `denseJacobian`). Code `GRADIENT_UNAVAILABLE`.
 */
export class GradientUnavailableError extends AntlerError {
  /** The cell's `kind`. */
  readonly cellKind: string;
  constructor(cellKind: string, reason: string) {
    super('GRADIENT_UNAVAILABLE', `cannot differentiate cell '${cellKind}': ${reason}`);
    this.cellKind = cellKind;
  }
}
