/**
 * The Cell contract: one step s_t = f(s_{t-1}, x_t) of a nonlinear recurrence, with optional analytic
 * Jacobians in the structures the solvers use and an optional parameter VJP for training.
 *
 * Every vector argument is an `(array, offset)` pair addressing a contiguous slice, so a cell reads and
 * writes straight into batched `[B][T][n]` buffers without copies. Cells compute in double precision and
 * store into whatever array they are given (a `Float32Array` rounds on store).
 */
import type { FloatArray } from './dtype.js';
import type { GradientMap, TensorMap } from './tensor.js';

/**
 * One step of a recurrence, s_t = f(s_{t-1}, x_t; θ).
 *
 * Only `kind`, `stateSize`, `inputSize` and `step` are required. Without an analytic Jacobian the
 * linearisation falls back to finite differences (and says so in the solver's events).
 *
 * @example
 * ```ts
 * import type { Cell } from '@antler/core';
 * // s_t = tanh(w · s_{t-1} + x_t), elementwise, n = 2, with its exact diagonal Jacobian.
 * const w = 0.5;
 * const cell: Cell = {
 *   kind: 'custom-tanh',
 *   stateSize: 2,
 *   inputSize: 2,
 *   step(h, ho, x, xo, out, oo) {
 *     for (let i = 0; i < 2; i++) out[oo + i] = Math.tanh(w * h[ho + i] + x[xo + i]);
 *   },
 *   diagonalJacobian(h, ho, x, xo, f, fo, j, jo) {
 *     for (let i = 0; i < 2; i++) {
 *       const y = Math.tanh(w * h[ho + i] + x[xo + i]);
 *       f[fo + i] = y;
 *       j[jo + i] = w * (1 - y * y);
 *     }
 *   },
 * };
 * ```
 */
export interface Cell {
  /** What the cell is (`'gru'`, `'elman'`, …); GPU backends use it to pick a fused kernel. */
  readonly kind: string;
  /** State size n. */
  readonly stateSize: number;
  /** Input size m per step (0 for autonomous systems). */
  readonly inputSize: number;
  /** Block size k of {@link Cell.blockJacobian} (n must be a multiple of k). */
  readonly blockSize?: number;
  /** Named parameters, PyTorch state_dict names where a framework equivalent exists. */
  readonly parameters?: TensorMap;
  /** Non-tensor settings a backend needs to reproduce the cell (activation, variant, …). */
  readonly config?: Readonly<Record<string, string | number | boolean>>;

  /** Writes f(h, x) (n values) to `out[outOffset …]`. */
  step(
    h: FloatArray,
    hOffset: number,
    x: FloatArray,
    xOffset: number,
    out: FloatArray,
    outOffset: number,
  ): void;

  /**
   * Writes f(h, x) to `f[fOffset …]` and the dense Jacobian ∂f/∂h, row-major n×n with
   * `jac[i * n + j] = ∂f_i/∂h_j`, to `jac[jacOffset …]`.
   */
  denseJacobian?(
    h: FloatArray,
    hOffset: number,
    x: FloatArray,
    xOffset: number,
    f: FloatArray,
    fOffset: number,
    jac: FloatArray,
    jacOffset: number,
  ): void;

  /** Writes f(h, x) and the diagonal of ∂f/∂h (n values, computed directly, not from the dense matrix). */
  diagonalJacobian?(
    h: FloatArray,
    hOffset: number,
    x: FloatArray,
    xOffset: number,
    f: FloatArray,
    fOffset: number,
    diag: FloatArray,
    diagOffset: number,
  ): void;

  /**
   * Writes f(h, x) and the k×k diagonal blocks of ∂f/∂h: n/k blocks, each row-major k×k, block `p`
   * covering state indices `p·k … p·k + k − 1` (n·k values).
   */
  blockJacobian?(
    h: FloatArray,
    hOffset: number,
    x: FloatArray,
    xOffset: number,
    f: FloatArray,
    fOffset: number,
    blocks: FloatArray,
    blocksOffset: number,
  ): void;

  /**
   * Vector–Jacobian product of one step: given the cotangent g of f(h, x), **adds** gᵀ∂f/∂h to
   * `gradH`, gᵀ∂f/∂x to `gradX` (when not null) and gᵀ∂f/∂θ to `gradParams[name]` (when not null).
   */
  vjp?(
    h: FloatArray,
    hOffset: number,
    x: FloatArray,
    xOffset: number,
    g: FloatArray,
    gOffset: number,
    gradH: FloatArray,
    gradHOffset: number,
    gradX: FloatArray | null,
    gradXOffset: number,
    gradParams: GradientMap | null,
  ): void;
}

/** The Jacobian structures a solver may ask a cell for: dense, its diagonal, or k×k diagonal blocks. */
export type JacobianStructure = 'dense' | 'diagonal' | 'block';

/** The analytic Jacobian structures `cell` provides. */
export function analyticStructures(cell: Cell): JacobianStructure[] {
  const out: JacobianStructure[] = [];
  if (cell.denseJacobian) out.push('dense');
  if (cell.diagonalJacobian) out.push('diagonal');
  if (cell.blockJacobian && cell.blockSize) out.push('block');
  return out;
}
