/** `createCpuBackend`: one factory for every CPU scan algorithm. */
import {
  type AffineScanArgs,
  checkInteger,
  type ScanBackend,
  type ScanReport,
  ShapeError,
} from '@antler/core';
import { affineScanBlelloch } from '../affine/blelloch.js';
import { affineScanChunked } from '../affine/chunked.js';
import { kalmanScanParallel } from '../kalman/parallel-kalman.js';
import { kalmanScanSequential } from '../kalman/sequential-kalman.js';
import { createSequentialBackend } from './sequential-backend.js';
import { createThreadedBackend } from './threaded-backend.js';
import { CPU_CAPABILITIES } from './cpu-capabilities.js';

/** The CPU scan algorithms. */
export type CpuAlgorithm = 'sequential' | 'blelloch' | 'chunked' | 'threaded';

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** Default `'sequential'`. */
  readonly algorithm?: CpuAlgorithm;
  /** Threads in all for `'threaded'` (default: `os.availableParallelism()`). */
  readonly threads?: number;
  /** Steps per chunk for `'chunked'` (default ≈ √T). */
  readonly chunkSize?: number;
}

/**
 * Creates a CPU scan backend running `algorithm`. Every algorithm supports every structure (any block
 * size), forward and reverse scans, transposes, float64 and float32, and the Kalman scans: `'blelloch'`
 * runs the parallel (associative-scan) Kalman filter and smoother, the others the sequential
 * filter/smoother, the fastest choice per sequence on the CPU.
 *
 * @example
 * ```ts
 * import { createCpuBackend } from '@antler/scan';
 * const backend = createCpuBackend({ algorithm: 'chunked', chunkSize: 1024 });
 * const out = new Float64Array(4);
 * backend.affineScan({
 *   structure: 'diagonal', batch: 1, length: 4, size: 1,
 *   a: { data: new Float64Array(4).fill(2) }, b: { data: new Float64Array(4).fill(1) }, out: { data: out },
 * });
 * // out = [1, 3, 7, 15]
 * ```
 */
export function createCpuBackend(options: CpuBackendOptions = {}): ScanBackend {
  const algorithm = options.algorithm ?? 'sequential';
  switch (algorithm) {
    case 'sequential':
      return createSequentialBackend();
    case 'threaded':
      return createThreadedBackend({ threads: options.threads });
    case 'blelloch':
      return {
        name: 'cpu-blelloch',
        synchronous: true,
        capabilities: CPU_CAPABILITIES,
        affineScan: affineScanBlelloch,
        kalmanScan: kalmanScanParallel,
      };
    case 'chunked': {
      const chunkSize =
        options.chunkSize === undefined ? undefined : checkInteger(options.chunkSize, 'chunkSize');
      return {
        name: 'cpu-chunked',
        synchronous: true,
        capabilities: CPU_CAPABILITIES,
        affineScan: (args: AffineScanArgs): ScanReport => affineScanChunked(args, chunkSize),
        kalmanScan: kalmanScanSequential,
      };
    }
    default:
      throw new ShapeError(
        'algorithm',
        "'sequential', 'blelloch', 'chunked' or 'threaded'",
        JSON.stringify(algorithm),
      );
  }
}
