/** The sequential CPU scan backend: plain loops, float64 and float32, every structure. */
import { type AffineScanArgs, dtypeOf, type ScanBackend, type ScanReport } from '@antler/core';
import { affineKernelsFor } from '../affine/kernels-by-dtype.js';
import { resolveAffineArgs } from '../affine/validate-args.js';
import { kalmanScanSequential } from '../kalman/sequential-kalman.js';
import { CPU_CAPABILITIES } from './cpu-capabilities.js';

/** Runs an affine scan with the sequential algorithm (validates arguments first). */
export function affineScanSequential(args: AffineScanArgs): ScanReport {
  const r = resolveAffineArgs(args);
  const scratch = new Float64Array(r.size);
  const K = affineKernelsFor(dtypeOf(r.out.data));
  let finite = true;
  for (let k = 0; k < r.batch; k++) {
    const a = { data: r.a.data, offset: r.a.offset + k * r.a.batchStride, stride: r.a.timeStride };
    const b = { data: r.b.data, offset: r.b.offset + k * r.b.batchStride, stride: r.b.timeStride };
    const out = { data: r.out.data, offset: r.out.offset + k * r.out.batchStride, stride: r.out.timeStride };
    const s0 = r.s0 ? r.s0.data : null;
    const s0Off = r.s0 ? r.s0.offset + k * r.s0.batchStride : 0;
    let ok: boolean;
    if (r.structure === 'diagonal') ok = K.diagonal(r.length, r.size, a, b, s0, s0Off, out, r.reverse);
    else if (r.structure === 'dense')
      ok = K.dense(r.length, r.size, a, b, s0, s0Off, out, r.reverse, r.transpose, scratch);
    else ok = K.block(r.length, r.size, r.blockSize, a, b, s0, s0Off, out, r.reverse, r.transpose, scratch);
    finite &&= ok;
  }
  return { finite };
}

/**
 * Creates the sequential CPU backend.
 *
 * @example
 * ```ts
 * import { createSequentialBackend } from '@antler/scan';
 * const backend = createSequentialBackend();
 * const out = new Float64Array(3);
 * // s_t = 0.5 s_{t-1} + 1, s_{-1} = 0, T = 3 (n = 1)
 * backend.affineScan({
 *   structure: 'diagonal', batch: 1, length: 3, size: 1,
 *   a: { data: new Float64Array([0.5, 0.5, 0.5]) }, b: { data: new Float64Array([1, 1, 1]) }, out: { data: out },
 * });
 * // out = [1, 1.5, 1.75]
 * ```
 */
export function createSequentialBackend(): ScanBackend {
  return {
    name: 'cpu-sequential',
    synchronous: true,
    capabilities: CPU_CAPABILITIES,
    affineScan: affineScanSequential,
    kalmanScan: kalmanScanSequential,
  };
}
