/**
 * Typed errors thrown by every Antler package. Each names the offending argument so that a user
 * can fix the call without reading a stack trace.
 *
 * @packageDocumentation
 */

/** Base class of every error Antler throws on purpose. `code` is stable and machine-readable. */
export class AntlerError extends Error {
  /** A stable, machine-readable error code (for example `'SHAPE'`). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An argument does not have the expected shape or length.
 *
 * @example
 * ```ts
 * import { ShapeError } from '@antler/core';
 * const err = new ShapeError('inputs', '[B=2][T=5][m=3] (30 elements)', 'length 29');
 * err.message; // "inputs: expected [B=2][T=5][m=3] (30 elements), got length 29"
 * ```
 */
export class ShapeError extends AntlerError {
  /** Name of the argument that is wrong. */
  readonly argument: string;
  /** The shape that was expected, in words (for example `[B=2][T=5][n=3]`). */
  readonly expected: string;
  /** What was received. */
  readonly received: string;
  constructor(argument: string, expected: string, received: string) {
    super('SHAPE', `${argument}: expected ${expected}, got ${received}`);
    this.argument = argument;
    this.expected = expected;
    this.received = received;
  }
}

/** An argument has the wrong element type (for example a `Float32Array` where float64 was asked for). */
export class DTypeError extends AntlerError {
  /** Name of the argument that is wrong. */
  readonly argument: string;
  constructor(argument: string, expected: string, received: string) {
    super('DTYPE', `${argument}: expected ${expected}, got ${received}`);
    this.argument = argument;
  }
}

/** A value that must be finite is NaN or ±Infinity. */
export class NonFiniteError extends AntlerError {
  /** Name of the argument (or intermediate) holding the value. */
  readonly argument: string;
  /** Flat index of the first non-finite element. */
  readonly index: number;
  /** The offending value. */
  readonly value: number;
  constructor(argument: string, index: number, value: number, detail = '') {
    super(
      'NON_FINITE',
      `${argument}: non-finite value ${value} at flat index ${index}${detail ? ` (${detail})` : ''}`,
    );
    this.argument = argument;
    this.index = index;
    this.value = value;
  }
}

/**
 * A solver did not converge and the caller asked to be told by an exception
 * (`onDivergence: 'throw'`). The partial result is attached.
 */
export class ConvergenceError<R = unknown> extends AntlerError {
  /** The solver's result at the moment it gave up (states, history, events). */
  readonly result: R;
  constructor(message: string, result: R) {
    super('CONVERGENCE', message);
    this.result = result;
  }
}

/** A backend cannot run here (no GPU adapter, missing native module, unsupported dtype or structure). */
export class BackendUnavailableError extends AntlerError {
  /** Name of the backend that is unavailable. */
  readonly backend: string;
  constructor(backend: string, reason: string) {
    super('BACKEND_UNAVAILABLE', `backend ${backend} is unavailable: ${reason}`);
    this.backend = backend;
  }
}
