/** What every CPU backend of this package supports, for both dtypes. */
import type { BackendCapabilities, DTypeCapabilities } from '@antler/core';

/**
 * Block sizes the CPU backends advertise. The kernels take any k that divides n; the contract asks for
 * a list, so it names every k up to 16 and the powers of two up to 256.
 */
export const CPU_BLOCK_SIZES: readonly number[] = [
  ...Array.from({ length: 16 }, (_, i) => i + 1),
  32,
  64,
  128,
  256,
];

/** Capabilities of every CPU backend per dtype: every structure, reverse/transpose, both Kalman scans. */
export const CPU_DTYPE_CAPABILITIES: DTypeCapabilities = {
  affine: ['dense', 'diagonal', 'block'],
  blockSizes: CPU_BLOCK_SIZES,
  reverse: true,
  kalman: ['dense', 'diagonal'],
};

/** {@link CPU_DTYPE_CAPABILITIES} for float64 and float32. */
export const CPU_CAPABILITIES: BackendCapabilities = {
  float64: CPU_DTYPE_CAPABILITIES,
  float32: CPU_DTYPE_CAPABILITIES,
};
