/** Runs the conformance suite over every CPU backend. */
import { createBestCpuBackend, createCpuBackend, createThreadedBackend } from '../src/index.js';
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
