/**
 * Linearisation of a recurrence around a trajectory guess: for every step t,
 * A_t = ∂f/∂s at (s_{t−1}, x_t) in the requested structure and b_t = f(s_{t−1}, x_t) − A_t s_{t−1},
 * so that the affine map s ↦ A_t s + b_t agrees with f at the guess. This is the first half of every
 * DEER-family iteration; the second half is an affine (or Kalman) scan over (A_t, b_t).
 */
import {
  type Cell,
  checkInteger,
  type FloatArray,
  operatorStepSize,
  type ResolvedView,
  resolveView,
  type SequenceView,
  ShapeError,
} from '@antler/core';
import {
  createFdScratch,
  DEFAULT_FD_STEP,
  fdBlockJacobian,
  fdDenseJacobian,
  fdDiagonalJacobian,
} from './finite-difference.js';

/** Which Jacobian to linearise with; `zero` gives A_t = 0 (Jacobi), `none` computes only f. */
export type LinearizationStructure = 'dense' | 'diagonal' | 'block' | 'zero' | 'none';

/**
 * How the Jacobians were obtained: straight from the cell's method for that structure, read off the
 * cell's analytic dense Jacobian (exact, for cells without a diagonal/block method), or by finite differences.
 */
export type JacobianSource = 'analytic' | 'from-dense' | 'finite-difference' | 'none';

/** Arguments of {@link linearize}. */
export interface LinearizeArgs {
  readonly cell: Cell;
  readonly structure: LinearizationStructure;
  /** Block size k for `block` (default `cell.blockSize`). */
  readonly blockSize?: number;
  readonly batch: number;
  readonly length: number;
  /** Trajectory guess s_1 … s_T, `[B][T][n]`. */
  readonly states: SequenceView;
  /** Initial states s_0, `[B][n]` (offset and batchStride are read; batchStride 0 broadcasts one h0). */
  readonly h0: SequenceView;
  /** Inputs x_1 … x_T, `[B][T][m]`; null when the cell has no inputs. */
  readonly inputs: SequenceView | null;
  /** Output operators A_t, `[B][T][…]` in the structure's layout (not written for `zero`/`none`). */
  readonly a?: SequenceView | null;
  /** Output offsets b_t, `[B][T][n]` (optional). */
  readonly b?: SequenceView | null;
  /** Output f(s_{t−1}, x_t), `[B][T][n]` (optional; use a Float64Array to keep f in double). */
  readonly f?: SequenceView | null;
  /** Relative finite-difference step (default ∛ε). */
  readonly fdStep?: number;
}

/** What {@link linearize} did. */
export interface LinearizeReport {
  /** Where the Jacobians came from. */
  readonly source: JacobianSource;
}

/** Where the Jacobians of `structure` would come from for `cell`. */
export function jacobianSource(cell: Cell, structure: LinearizationStructure): JacobianSource {
  switch (structure) {
    case 'zero':
    case 'none':
      return 'none';
    case 'dense':
      return cell.denseJacobian ? 'analytic' : 'finite-difference';
    case 'diagonal':
      return cell.diagonalJacobian ? 'analytic' : cell.denseJacobian ? 'from-dense' : 'finite-difference';
    case 'block':
      return cell.blockJacobian && cell.blockSize
        ? 'analytic'
        : cell.denseJacobian
          ? 'from-dense'
          : 'finite-difference';
  }
}

/**
 * Linearises `cell` around a batched trajectory guess, writing A_t, b_t and f_t into caller-provided
 * views. Computes only what the structure needs: `diagonal` calls `cell.diagonalJacobian` (never the
 * dense one) when the cell has it. Falls back to the dense analytic Jacobian, then to central finite
 * differences, and says which in the returned report.
 *
 * Precision: f and the Jacobians are computed in double by the cell; b_t = f − A_t s_{t−1} is formed
 * in double using A_t as stored (so a float32 A_t and b_t still reproduce f at the guess up to one rounding).
 *
 * @example
 * ```ts
 * import { linearize } from '@antler/jacobian';
 * const cell = {
 *   kind: 'tanh', stateSize: 1, inputSize: 1,
 *   step: (h, ho, x, xo, o, oo) => { o[oo] = Math.tanh(h[ho] + x[xo]); },
 * };
 * const a = new Float64Array(3), b = new Float64Array(3);
 * const report = linearize({
 *   cell, structure: 'diagonal', batch: 1, length: 3,
 *   states: { data: new Float64Array([0.1, 0.2, 0.3]) }, h0: { data: new Float64Array([0]) },
 *   inputs: { data: new Float64Array([1, 2, 3]) }, a: { data: a }, b: { data: b },
 * });
 * // report.source === 'finite-difference'; a[1] ≈ 1 − tanh(0.1 + 2)²
 * ```
 */
export function linearize(args: LinearizeArgs): LinearizeReport {
  const { cell, structure } = args;
  const B = checkInteger(args.batch, 'batch', 0);
  const T = checkInteger(args.length, 'length', 0);
  const n = cell.stateSize;
  const m = cell.inputSize;
  const k = args.blockSize ?? cell.blockSize ?? 1;
  if (structure === 'block' && (k < 1 || n % k !== 0)) {
    throw new ShapeError('blockSize', `a divisor of the state size ${n}`, String(k));
  }
  const source = jacobianSource(cell, structure);
  const eps = args.fdStep ?? DEFAULT_FD_STEP;
  const states = resolveView(args.states, T, n);
  const h0: ResolvedView = resolveView(args.h0, 1, n);
  const inputs = m > 0 && args.inputs ? resolveView(args.inputs, T, m) : null;
  if (m > 0 && !inputs) throw new ShapeError('inputs', `[B][T][m=${m}] inputs`, 'null');
  const needA = structure === 'dense' || structure === 'diagonal' || structure === 'block';
  const aStep = needA ? operatorStepSize(structure as 'dense', n, k) : 0;
  const a = needA && args.a ? resolveView(args.a, T, aStep) : null;
  if (needA && !a) throw new ShapeError('a', `an operator view for structure '${structure}'`, 'null');
  const b = args.b ? resolveView(args.b, T, n) : null;
  const f = args.f ? resolveView(args.f, T, n) : null;

  // Double-precision scratch: f of one step, and the dense Jacobian when it must be converted.
  const fStep = new Float64Array(n);
  const jStep = new Float64Array(needA ? aStep : 0);
  const dense =
    source === 'from-dense' || (source === 'finite-difference' && structure === 'dense')
      ? new Float64Array(n * n)
      : null;
  const scratch = source === 'finite-difference' ? createFdScratch(n) : null;
  const xEmpty = new Float64Array(0);

  for (let bi = 0; bi < B; bi++) {
    for (let t = 0; t < T; t++) {
      const hArr = t === 0 ? h0.data : states.data;
      const hOff =
        t === 0
          ? h0.offset + bi * h0.batchStride
          : states.offset + bi * states.batchStride + (t - 1) * states.timeStride;
      const xArr = inputs ? inputs.data : xEmpty;
      const xOff = inputs ? inputs.offset + bi * inputs.batchStride + t * inputs.timeStride : 0;
      evaluateStep(cell, structure, source, k, eps, hArr, hOff, xArr, xOff, fStep, jStep, dense, scratch);
      if (a) {
        const ao = a.offset + bi * a.batchStride + t * a.timeStride;
        for (let i = 0; i < aStep; i++) a.data[ao + i] = jStep[i];
      }
      if (b) {
        const bo = b.offset + bi * b.batchStride + t * b.timeStride;
        writeOffset(
          structure,
          n,
          k,
          a,
          a ? a.offset + bi * a.batchStride + t * a.timeStride : 0,
          hArr,
          hOff,
          fStep,
          b.data,
          bo,
        );
      }
      if (f) {
        const fo = f.offset + bi * f.batchStride + t * f.timeStride;
        for (let i = 0; i < n; i++) f.data[fo + i] = fStep[i];
      }
    }
  }
  return { source };
}

function evaluateStep(
  cell: Cell,
  structure: LinearizationStructure,
  source: JacobianSource,
  k: number,
  eps: number,
  h: FloatArray,
  ho: number,
  x: FloatArray,
  xo: number,
  f: Float64Array,
  j: Float64Array,
  dense: Float64Array | null,
  scratch: ReturnType<typeof createFdScratch> | null,
): void {
  const n = cell.stateSize;
  if (structure === 'zero' || structure === 'none') {
    cell.step(h, ho, x, xo, f, 0);
    return;
  }
  if (source === 'analytic') {
    if (structure === 'dense') cell.denseJacobian?.(h, ho, x, xo, f, 0, j, 0);
    else if (structure === 'diagonal') cell.diagonalJacobian?.(h, ho, x, xo, f, 0, j, 0);
    else cell.blockJacobian?.(h, ho, x, xo, f, 0, j, 0);
    return;
  }
  if (source === 'finite-difference' && scratch) {
    if (structure === 'diagonal') fdDiagonalJacobian(cell, h, ho, x, xo, j, 0, f, 0, eps, scratch);
    else if (structure === 'block') fdBlockJacobian(cell, k, h, ho, x, xo, j, 0, f, 0, eps, scratch);
    else fdDenseJacobian(cell, h, ho, x, xo, j, 0, f, 0, eps, scratch);
    return;
  }
  // from-dense: exact, read off the analytic dense Jacobian.
  const d = dense as Float64Array;
  cell.denseJacobian?.(h, ho, x, xo, f, 0, d, 0);
  if (structure === 'diagonal') {
    for (let i = 0; i < n; i++) j[i] = d[i * n + i];
  } else {
    for (let p = 0; p < n / k; p++) {
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) j[p * k * k + r * k + c] = d[(p * k + r) * n + p * k + c];
      }
    }
  }
}

/** b_t = f − A_t s_{t−1} in double, with A_t read back as stored. */
function writeOffset(
  structure: LinearizationStructure,
  n: number,
  k: number,
  a: ResolvedView | null,
  ao: number,
  h: FloatArray,
  ho: number,
  f: Float64Array,
  out: FloatArray,
  oo: number,
): void {
  if (!a) {
    for (let i = 0; i < n; i++) out[oo + i] = f[i];
    return;
  }
  const A = a.data;
  if (structure === 'diagonal') {
    for (let i = 0; i < n; i++) out[oo + i] = f[i] - A[ao + i] * h[ho + i];
  } else if (structure === 'dense') {
    for (let i = 0; i < n; i++) {
      let s = f[i];
      const row = ao + i * n;
      for (let c = 0; c < n; c++) s -= A[row + c] * h[ho + c];
      out[oo + i] = s;
    }
  } else {
    for (let p = 0; p < n / k; p++) {
      for (let r = 0; r < k; r++) {
        let s = f[p * k + r];
        const row = ao + p * k * k + r * k;
        for (let c = 0; c < k; c++) s -= A[row + c] * h[ho + p * k + c];
        out[oo + p * k + r] = s;
      }
    }
  }
}
