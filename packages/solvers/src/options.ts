/** Validation and defaults of {@link SolveOptions}: everything the loop needs, checked once. */
import {
  type Cell,
  checkDType,
  checkInteger,
  type DType,
  type DivergencePolicy,
  describeValue,
  type FloatArray,
  METHODS,
  type Method,
  ShapeError,
  type SolveOptions,
} from '@antler/core';
import { defaultTolerances } from './convergence.js';
import { InvalidOptionError } from './invalid-option-error.js';
import { DEFAULT_ANDERSON_MEMORY } from './methods/anderson.js';

/** Acceleration used when the options name none. */
const DEFAULT_ACCELERATION: 'anderson' | 'none' = 'none';

/** A validated problem: sizes, packed h0 (double) and every option with its default filled in. */
export interface ResolvedProblem {
  readonly method: Method;
  readonly dtype: DType;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  readonly inputSize: number;
  /** Inputs `[B][T][m]` (an empty array when m = 0). */
  readonly inputs: FloatArray;
  /** h0 as `[B][n]` in double. */
  readonly h0: Float64Array;
  /** Initial guess: 'zeros', 'h0' or a `[B][T][n]` array. */
  readonly initialGuess: 'zeros' | 'h0' | FloatArray;
  readonly atol: number;
  readonly rtol: number;
  readonly maxIter: number;
  readonly blockSize: number;
  readonly elkVariant: 'smoother' | 'filter';
  /** Fixed λ, or null for adaptive. */
  readonly fixedLambda: number | null;
  /** Starting λ of the adaptive rule, or null to scale it to the initial Jacobian. */
  readonly initialLambda: number | null;
  readonly onDivergence: DivergencePolicy;
  readonly clip: number | null;
  /** Anderson acceleration of quasi-DEER ('none' for the other methods). */
  readonly acceleration: 'anderson' | 'none';
  /** Steps mixed by Anderson acceleration. */
  readonly andersonMemory: number;
}

/**
 * The acceleration options (now part of the core {@link SolveOptions}); kept as a name for code written
 * against earlier versions.
 *
 * @deprecated Use {@link SolveOptions} directly.
 */
export type AccelerationOptions = Pick<SolveOptions, 'acceleration' | 'andersonMemory'>;

function nonNegative(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
    throw new InvalidOptionError(name, 'a finite number ≥ 0', describeValue(v));
  }
  return v;
}

function positive(name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new InvalidOptionError(name, 'a finite number > 0', describeValue(v));
  }
  return v;
}

function isFloatArray(v: unknown): v is FloatArray {
  return v instanceof Float64Array || v instanceof Float32Array;
}

/** Checks `cell`, `inputs` and `options` and fills in defaults. Throws typed errors naming the argument. */
export function resolveProblem(
  cell: Cell,
  inputs: FloatArray | null,
  options: SolveOptions,
): ResolvedProblem {
  if (!cell || typeof cell.step !== 'function') {
    throw new InvalidOptionError('cell', 'a Cell with a step function', describeValue(cell));
  }
  const n = checkInteger(cell.stateSize, 'cell.stateSize', 1);
  const m = checkInteger(cell.inputSize, 'cell.inputSize', 0);
  const method = options.method ?? 'deer';
  if (!METHODS.includes(method)) {
    throw new InvalidOptionError('method', `one of ${METHODS.join(', ')}`, describeValue(method));
  }
  const dtype = checkDType(options.dtype ?? 'float64', 'dtype');
  const B = checkInteger(options.batch ?? 1, 'batch', 1);
  let T: number;
  let xs: FloatArray;
  if (m === 0) {
    if (options.length === undefined) {
      throw new ShapeError(
        'length',
        'the sequence length T (required for a cell without inputs)',
        'undefined',
      );
    }
    T = checkInteger(options.length, 'length', 1);
    xs = inputs ?? new Float64Array(0);
  } else {
    if (!isFloatArray(inputs)) {
      throw new ShapeError(
        'inputs',
        `a Float64Array or Float32Array of shape [B=${B}][T][m=${m}]`,
        describeValue(inputs),
      );
    }
    const per = B * m;
    if (inputs.length === 0 || inputs.length % per !== 0) {
      throw new ShapeError(
        'inputs',
        `shape [B=${B}][T][m=${m}] (a multiple of ${per} elements)`,
        `length ${inputs.length}`,
      );
    }
    T = inputs.length / per;
    if (options.length !== undefined && options.length !== T) {
      throw new ShapeError('length', `T = ${T} (inferred from inputs)`, describeValue(options.length));
    }
    xs = inputs;
  }
  const h0 = new Float64Array(B * n);
  if (options.h0 !== undefined) {
    const g = options.h0;
    if (!isFloatArray(g) || (g.length !== n && g.length !== B * n)) {
      throw new ShapeError(
        'h0',
        `shape [n=${n}] or [B=${B}][n=${n}]`,
        isFloatArray(g) ? `length ${g.length}` : describeValue(g),
      );
    }
    for (let b = 0; b < B; b++)
      for (let i = 0; i < n; i++) h0[b * n + i] = g.length === n ? g[i] : g[b * n + i];
  }
  const guess = options.initialGuess ?? 'zeros';
  if (guess !== 'zeros' && guess !== 'h0') {
    if (!isFloatArray(guess) || guess.length !== B * T * n) {
      throw new ShapeError(
        'initialGuess',
        `'zeros', 'h0' or an array of shape [B=${B}][T=${T}][n=${n}] (${B * T * n} elements)`,
        isFloatArray(guess) ? `length ${guess.length}` : describeValue(guess),
      );
    }
  }
  const tol = defaultTolerances(dtype);
  const maxIter = options.maxIter === undefined ? T : checkInteger(options.maxIter, 'maxIter', 1);
  let blockSize = 1;
  if (method === 'block-deer') {
    const k = options.blockSize ?? cell.blockSize;
    if (k === undefined || !Number.isInteger(k) || k < 1 || n % k !== 0) {
      throw new ShapeError(
        'blockSize',
        `a divisor of the state size n = ${n} (option or cell.blockSize)`,
        describeValue(k),
      );
    }
    blockSize = k;
  }
  const lam = options.elk?.lambda ?? 'adaptive';
  const fixedLambda = lam === 'adaptive' ? null : positive('elk.lambda', lam);
  const initialLambda =
    options.elk?.initialLambda === undefined
      ? null
      : positive('elk.initialLambda', options.elk.initialLambda);
  const variant = options.elk?.variant ?? 'smoother';
  if (variant !== 'smoother' && variant !== 'filter') {
    throw new InvalidOptionError('elk.variant', "'smoother' or 'filter'", describeValue(variant));
  }
  const policy = options.onDivergence ?? 'report';
  if (policy !== 'report' && policy !== 'throw' && policy !== 'fallback-sequential') {
    throw new InvalidOptionError(
      'onDivergence',
      "'report', 'throw' or 'fallback-sequential'",
      describeValue(policy),
    );
  }
  const extra = options;
  const acceleration = extra.acceleration ?? DEFAULT_ACCELERATION;
  if (acceleration !== 'anderson' && acceleration !== 'none') {
    throw new InvalidOptionError('acceleration', "'anderson' or 'none'", describeValue(acceleration));
  }
  const andersonMemory =
    extra.andersonMemory === undefined
      ? DEFAULT_ANDERSON_MEMORY
      : checkInteger(extra.andersonMemory, 'andersonMemory', 1);
  if (andersonMemory > 20) {
    throw new InvalidOptionError('andersonMemory', 'an integer from 1 to 20', describeValue(andersonMemory));
  }
  return {
    method,
    dtype,
    batch: B,
    length: T,
    size: n,
    inputSize: m,
    inputs: xs,
    h0,
    initialGuess: guess,
    atol: nonNegative('atol', options.atol, tol.atol),
    rtol: nonNegative('rtol', options.rtol, tol.rtol),
    maxIter,
    blockSize,
    elkVariant: variant,
    fixedLambda,
    initialLambda,
    onDivergence: policy,
    clip: options.clip === undefined ? null : positive('clip', options.clip),
    acceleration: method === 'quasi-deer' ? acceleration : 'none',
    andersonMemory,
  };
}
