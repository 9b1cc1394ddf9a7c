/**
 * Limits of the dense Kalman scan on the GPU (sequential in T, one workgroup of n threads per sequence):
 * the state size must fit one workgroup and its covariances workgroup memory, and when smoothing the
 * per-step AP_t and P⁻_t (`[B][T][n][n]` each) must fit one storage buffer.
 */
import { ShapeError } from '@antler/core';
import { denseKalmanWorkgroupBytes } from './wgsl-scan-kalman-dense.js';

/** The device limits the dense Kalman scan depends on. */
export interface DenseKalmanLimits {
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
}

/**
 * Throws a {@link ShapeError} naming `size` or `length` when a dense Kalman scan of B sequences of T
 * steps of n components cannot run on a device with these limits (then use the CPU backend).
 *
 * @example
 * ```ts
 * import { checkDenseKalman } from '@antler/backend-webgpu';
 * const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256,
 *   maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 };
 * checkDenseKalman(limits, 16, 10_000, 8, true); // fine
 * ```
 */
export function checkDenseKalman(
  limits: DenseKalmanLimits,
  B: number,
  T: number,
  n: number,
  smooth: boolean,
): void {
  const wg = denseKalmanWorkgroupBytes(n);
  if (n > limits.maxComputeInvocationsPerWorkgroup || wg > limits.maxComputeWorkgroupStorageSize)
    throw new ShapeError(
      'size',
      `a state size whose dense Kalman workgroup fits this device (${limits.maxComputeInvocationsPerWorkgroup} threads, ${limits.maxComputeWorkgroupStorageSize} bytes of workgroup memory; 4·(4n² + 5n) bytes needed) — use the CPU backend`,
      String(n),
    );
  const bytes = 4 * B * T * n * n;
  const cap = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (bytes > cap)
    throw new ShapeError(
      'length',
      `B·T·n²·4 ≤ ${cap} bytes for the dense Kalman scan on this device (operators${smooth ? ' and smoother covariances' : ''} are kept whole) — use the CPU backend`,
      `${bytes} bytes (batch ${B}, length ${T}, size ${n})`,
    );
}
