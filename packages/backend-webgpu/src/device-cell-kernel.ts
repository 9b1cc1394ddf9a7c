/**
 * What the fused GPU solve needs to know about one cell kind: sizes, the packed weights, and a WGSL
 * snippet evaluating f and its Jacobian at one (sequence, step). Everything else — buffers, chunk
 * layout, the Newton loop, scans, the residual/step reduction, status flags, readback — is shared
 * ({@link DeviceProblem}).
 */

/** Jacobian structures a fused solve can run: the scan each Newton update uses. */
export type DeviceStructure = 'diagonal' | 'dense' | 'block2';

/**
 * A cell kind on the GPU.
 *
 * The WGSL snippet is compiled inside every kernel of the solve, after the constants `N` (state size n)
 * and `G` (projection width) and the helpers `sigm`, `tanhs`. It may read `xp` (the input projections
 * of the step, from index `xb`: `xp[xb + j]`, j < G), `w` (the packed recurrent weights, `array<f32>`)
 * and `ld(hb, k)` (component k of the previous state s_{t−1}). It defines:
 * - `struct Row` and `fn rowOf(hb: u32, xb: u32, i: u32) -> Row`: what component i needs;
 * - `fn rowF(r: Row) -> f32`: f_i;
 * - `fn rowDiag(i: u32, r: Row) -> f32`: ∂f_i/∂s_i (quasi-DEER);
 * - `fn rowJ(i: u32, k: u32, r: Row) -> f32`: ∂f_i/∂s_k (DEER), when {@link dense};
 * - `struct Pair { f: vec2f, j: vec4f }` and `fn pairOf(hb: u32, xb: u32, q: u32) -> Pair`: f and the
 *   row-major 2×2 Jacobian block of components 2q, 2q+1, when {@link jacobian} is `'block2'`.
 */
export interface DeviceCellKernel {
  /** The zoo kind (with its variant, e.g. `elman/relu`), for messages and benchmarks. */
  readonly kind: string;
  /** State size n. */
  readonly n: number;
  /** Input size m. */
  readonly m: number;
  /** Width G of the input projection of one step. */
  readonly width: number;
  /** `[m][G]` W_ihᵀ followed by the folded input bias `[G]`. */
  readonly wx: Float32Array;
  /** Packed recurrent weights (layout defined by the cell's snippet); at least one element. */
  readonly wh: Float32Array;
  /** The WGSL snippet (see the interface description). */
  readonly wgsl: string;
  /**
   * Structure of the exact Jacobian: `'dense'` in general; `'diagonal'` or `'block2'` when it is exactly
   * so by construction (para-gru, para-lstm, minGRU), so that DEER is exact with that scan.
   */
  readonly jacobian: 'dense' | 'diagonal' | 'block2';
  /** Whether the snippet defines `rowJ` (dense DEER). */
  readonly dense: boolean;
  /**
   * Optional fast path: quasi-DEER phase 1 and 3 kernels with four state components per thread (vec4
   * loads), used when n % 4 = 0. Same bindings as the scalar kernels; `apply` takes the iteration
   * counter's parity like `diagApplyWgsl` (`null` for the five-dispatch loop).
   */
  readonly vec4?: {
    readonly lin: (n: number) => string;
    readonly apply: (n: number, parity?: 0 | 1 | null) => string;
  };
}

/** Transposes a row-major `[rows][cols]` matrix into `out` at `offset` as `[cols][rows]` (float32). */
export function transposeInto(
  a: ArrayLike<number>,
  rows: number,
  cols: number,
  out: Float32Array,
  offset = 0,
): void {
  for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) out[offset + k * rows + j] = a[j * cols + k];
}

/**
 * The `[m][G]` input weights and folded bias of a cell with `weight_ih [G, m]`: bias_j = b_ih[j] +
 * (b_hh[j] where `foldHidden(j)`).
 */
export function packInput(
  wih: ArrayLike<number>,
  G: number,
  m: number,
  bih: ArrayLike<number> | undefined,
  bhh: ArrayLike<number> | undefined,
  foldHidden: (j: number) => boolean,
): Float32Array {
  const wx = new Float32Array((m + 1) * G);
  transposeInto(wih, G, m, wx);
  for (let j = 0; j < G; j++) wx[m * G + j] = (bih ? bih[j] : 0) + (bhh && foldHidden(j) ? bhh[j] : 0);
  return wx;
}
