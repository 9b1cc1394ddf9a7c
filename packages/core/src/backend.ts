/**
 * The ScanBackend contract: the kernels every solver iteration ends in. The CPU package `@antler/scan`
 * implements it; GPU backends implement it too; a user can implement it and pass it to the solvers.
 *
 * Every method takes one argument object of {@link SequenceView}s (flat arrays with offset and strides)
 * and writes into caller-provided outputs. A method may return a Promise (GPU readback is asynchronous);
 * the solvers always `await` it, and their synchronous entry points require a backend whose
 * {@link ScanBackend.synchronous} is true.
 */
import type { DType } from './dtype.js';
import type { SequenceView, Structure } from './layout.js';

/**
 * An affine scan over a batch: for each sequence b, the states of the linear recurrence
 *
 * - forward (default): `s_t = op(A_t) s_{t-1} + b_t` for t = 0 … T−1, with `s_{-1} = s0[b]` (zero when
 *   `s0` is omitted);
 * - reverse: `s_t = op(A_t) s_{t+1} + b_t` for t = T−1 … 0, with `s_T = s0[b]` (the terminal value).
 *
 * `op(A)` is A, or Aᵀ when `transpose` is true (the adjoint recurrence of gradients). For the `block`
 * structure each step holds n/k row-major k×k blocks (`blockSize` = k).
 */
export interface AffineScanArgs {
  /** Structure of each A_t. */
  readonly structure: Structure;
  /** Block size k for `structure: 'block'` (n must be divisible by k). */
  readonly blockSize?: number;
  /** Batch size B. */
  readonly batch: number;
  /** Sequence length T. */
  readonly length: number;
  /** State size n. */
  readonly size: number;
  /** Operators A_t: `[B][T][n][n]`, `[B][T][n]` or `[B][T][n/k][k][k]`. */
  readonly a: SequenceView;
  /** Offsets b_t: `[B][T][n]`. */
  readonly b: SequenceView;
  /** Initial (or, in reverse, terminal) states `[B][n]`; only `offset` and `batchStride` are read. */
  readonly s0?: SequenceView | null;
  /** Output states `[B][T][n]`; may alias `b` (the scan may then run in place). */
  readonly out: SequenceView;
  /** Run backwards in time. */
  readonly reverse?: boolean;
  /** Use Aᵀ instead of A. */
  readonly transpose?: boolean;
}

/**
 * Kalman filtering/smoothing for ELK: the linear-Gaussian model
 * `s_t = A_t s_{t-1} + b_t + w_t`, `w_t ~ N(0, q I)`, observed as `y_t = s_t + v_t`, `v_t ~ N(0, r I)`,
 * with `s_{-1} = s0` known exactly. Writes the filtered means (`smooth: false`) or the RTS-smoothed
 * means (`smooth: true`) to `out`. With q = 1 and r = σ² = 1/λ the smoothed mean is exactly the
 * Levenberg–Marquardt step of ELK.
 */
export interface KalmanScanArgs {
  /** `dense` (A_t is n×n) or `diagonal` (n independent scalar filters). */
  readonly structure: 'dense' | 'diagonal';
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  /** Dynamics A_t: `[B][T][n][n]` or `[B][T][n]`. */
  readonly a: SequenceView;
  /** Dynamics offsets b_t: `[B][T][n]`. */
  readonly b: SequenceView;
  /** Known initial states `[B][n]` (zero when omitted). */
  readonly s0?: SequenceView | null;
  /** Observations y_t: `[B][T][n]`. */
  readonly y: SequenceView;
  /** Process noise variance q (> 0). */
  readonly processVariance: number;
  /** Observation noise variance r (> 0). */
  readonly observationVariance: number;
  /** RTS smoother means (true) or filter means (false). */
  readonly smooth: boolean;
  /** Output means `[B][T][n]`. */
  readonly out: SequenceView;
}

/** What a scan found out while it ran. */
export interface ScanReport {
  /** False when any output value is NaN or ±Infinity. */
  readonly finite: boolean;
}

/** The operations a backend supports for one dtype. */
export interface DTypeCapabilities {
  /** Affine scan structures supported. */
  readonly affine: readonly Structure[];
  /** Block sizes supported by the `block` structure. */
  readonly blockSizes: readonly number[];
  /** Whether `reverse` and `transpose` are supported. */
  readonly reverse: boolean;
  /** Kalman scan structures supported (empty when {@link ScanBackend.kalmanScan} is absent). */
  readonly kalman: readonly ('dense' | 'diagonal')[];
}

/** A backend's capabilities per dtype; a dtype that is absent is not supported at all. */
export type BackendCapabilities = Readonly<Partial<Record<DType, DTypeCapabilities>>>;

/**
 * The scan backend interface.
 *
 * @example
 * ```ts
 * import type { AffineScanArgs, ScanBackend, ScanReport } from '@antler/core';
 * // A tiny custom backend: a sequential diagonal scan on float64, forward only.
 * const mine: ScanBackend = {
 *   name: 'my-diagonal',
 *   synchronous: true,
 *   capabilities: { float64: { affine: ['diagonal'], blockSizes: [], reverse: false, kalman: [] } },
 *   affineScan(args: AffineScanArgs): ScanReport {
 *     const { batch: B, length: T, size: n, a, b, out } = args;
 *     for (let k = 0; k < B; k++) {
 *       for (let i = 0; i < n; i++) {
 *         let s = args.s0 ? args.s0.data[(args.s0.offset ?? 0) + k * (args.s0.batchStride ?? n) + i] : 0;
 *         for (let t = 0; t < T; t++) {
 *           const j = (k * T + t) * n + i; // contiguous views only, for brevity
 *           s = a.data[j] * s + b.data[j];
 *           out.data[j] = s;
 *         }
 *       }
 *     }
 *     return { finite: true };
 *   },
 * };
 * ```
 */
export interface ScanBackend {
  /** A short name for reports (`'cpu-sequential'`, `'webgpu'`, …). */
  readonly name: string;
  /** True when every method returns synchronously (never a Promise). */
  readonly synchronous: boolean;
  /** What is supported, per dtype. */
  readonly capabilities: BackendCapabilities;
  /** Runs an affine scan. */
  affineScan(args: AffineScanArgs): ScanReport | Promise<ScanReport>;
  /** Runs a Kalman filter or smoother scan (needed by ELK methods). */
  kalmanScan?(args: KalmanScanArgs): ScanReport | Promise<ScanReport>;
  /** Releases worker threads, GPU buffers, … */
  dispose?(): void | Promise<void>;
}

/** True when `backend` can run an affine scan of `structure` (and `blockSize`) in `dtype`. */
export function supportsAffine(
  backend: ScanBackend,
  dtype: DType,
  structure: Structure,
  blockSize = 2,
): boolean {
  const caps = backend.capabilities[dtype];
  if (caps === undefined) return false;
  if (!caps.affine.includes(structure)) return false;
  return structure !== 'block' || caps.blockSizes.includes(blockSize);
}

/** True when `backend` can run a Kalman scan of `structure` in `dtype`. */
export function supportsKalman(backend: ScanBackend, dtype: DType, structure: 'dense' | 'diagonal'): boolean {
  return !!backend.kalmanScan && !!backend.capabilities[dtype]?.kalman.includes(structure);
}
