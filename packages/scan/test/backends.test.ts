/** Runs the conformance suite over every CPU backend. */
import type { AffineScanArgs, ScanBackend, ScanReport } from '@antler/core';
import {
  createBestCpuBackend,
  createCpuBackend,
  createSequentialBackend,
  createThreadedBackend,
} from '../src/index.js';
import { describeScanBackend } from './backend-conformance.js';

describeScanBackend('cpu-sequential', () => createCpuBackend({ algorithm: 'sequential' }));
describeScanBackend('cpu-blelloch', () => createCpuBackend({ algorithm: 'blelloch' }));
describeScanBackend('cpu-chunked (chunkSize 4)', () =>
  createCpuBackend({ algorithm: 'chunked', chunkSize: 4 }),
);
describeScanBackend('cpu-chunked (default √T)', () => createCpuBackend({ algorithm: 'chunked' }));
// minWorkPerThread 1 forces the worker path even for the small property-test shapes.
describeScanBackend('cpu-threaded (3 threads)', () =>
  createThreadedBackend({ threads: 3, minWorkPerThread: 1 }),
);
describeScanBackend('cpu-threaded (2 threads)', () =>
  createThreadedBackend({ threads: 2, minWorkPerThread: 1 }),
);
describeScanBackend('cpu-threaded (2 threads, dense/block chunked too)', () =>
  createThreadedBackend({ threads: 2, minWorkPerThread: 1, chunkAllStructures: true }),
);
// threadedFrom 1 sends every call to the threaded path.
describeScanBackend('cpu-best (always threaded)', () =>
  createBestCpuBackend({ threads: 2, threadedFrom: 1 }),
);
describeScanBackend('cpu-best (defaults)', () => createBestCpuBackend());
describeScanBackend('cpu-threaded (2 threads, lanes split whenever possible)', () =>
  createThreadedBackend({ threads: 2, minWorkPerThread: 1, laneSplitMinBytes: 0 }),
);

/**
 * A stand-in for a GPU backend: asynchronous, float32 only, no Kalman scans, no reverse. Proves that the
 * suite awaits results and skips (with a reason) what the capabilities leave out.
 */
function asyncFloat32Only(): ScanBackend {
  const inner = createSequentialBackend();
  return {
    name: 'async-float32-only',
    synchronous: false,
    capabilities: {
      float32: { affine: ['diagonal', 'dense'], blockSizes: [], reverse: false, kalman: [] },
    },
    async affineScan(args: AffineScanArgs): Promise<ScanReport> {
      await new Promise((resolve) => setTimeout(resolve, 0));
      return inner.affineScan(args);
    },
  };
}
describeScanBackend('async float32-only stand-in', asyncFloat32Only, { numRuns: 5, longLength: 0 });
