/** `createBestCpuBackend`: sequential for small problems, threads for large ones (from measurements). */
import type { AffineScanArgs, KalmanScanArgs, ScanBackend, ScanReport } from '@antler/core';
import { kalmanScanSequential } from '../kalman/sequential-kalman.js';
import { affineScanSequential } from './sequential-backend.js';
import { hardwareThreads, hasWorkerThreads } from '../threads/node-builtins.js';
import { createThreadedBackend, type ThreadedScanBackend } from './threaded-backend.js';
import { CPU_CAPABILITIES } from './cpu-capabilities.js';

/** Options of {@link createBestCpuBackend}. */
export interface BestCpuBackendOptions {
  /** Threads in all (default `os.hardwareThreads()`); 1 means always sequential. */
  readonly threads?: number;
  /**
   * Smallest number of state elements (batch × length × size) handed to threads (default 2,000,000:
   * on the 2-core development machine the threaded diagonal scan first beat the sequential one there,
   * see the README).
   */
  readonly threadedFrom?: number;
}

/**
 * The backend the solvers use by default: the sequential scan (the fastest on one core and for small
 * problems) and, for problems of at least `threadedFrom` state elements, the threaded backend — which
 * splits batches across threads for every structure and chunks single diagonal sequences. Worker
 * threads start on the first large call; call `dispose()` to stop them (they never keep the process
 * alive). Batched Kalman scans of that size spread their sequences over the threads too.
 *
 * @example
 * ```ts
 * import { createBestCpuBackend } from '@antler/scan';
 * const backend = createBestCpuBackend();
 * // … pass it to a solver, or call backend.affineScan(...) directly …
 * await backend.dispose?.();
 * ```
 */
export function createBestCpuBackend(options: BestCpuBackendOptions = {}): ScanBackend {
  // Without worker_threads (browsers) the threaded path is never taken.
  const threads = hasWorkerThreads() ? (options.threads ?? hardwareThreads()) : 1;
  const from = options.threadedFrom ?? 2_000_000;
  let threaded: ThreadedScanBackend | null = null;
  return {
    name: 'cpu-best',
    synchronous: true,
    capabilities: CPU_CAPABILITIES,
    affineScan(args: AffineScanArgs): ScanReport {
      const work = args.batch * args.length * args.size;
      if (threads <= 1 || !(work >= from)) return affineScanSequential(args);
      threaded ??= createThreadedBackend({ threads });
      return threaded.affineScan(args);
    },
    kalmanScan(args: KalmanScanArgs): ScanReport {
      const step = args.structure === 'dense' ? args.size * args.size : args.size;
      const work = args.batch * args.length * step;
      if (threads <= 1 || args.batch < 2 || !(work >= from)) return kalmanScanSequential(args);
      threaded ??= createThreadedBackend({ threads });
      return threaded.kalmanScan(args);
    },
    async dispose(): Promise<void> {
      const t = threaded;
      threaded = null;
      await t?.dispose();
    },
  };
}
