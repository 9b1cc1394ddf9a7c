import { describe, it } from 'vitest';
import { describeScanBackend } from '../../scan/test/backend-conformance.js';
import { testBackend } from './gpu.js';

const backend = await testBackend();
if (typeof backend === 'string') {
  console.warn(`backend-webgpu conformance skipped: ${backend}`);
  describe('ScanBackend conformance: webgpu', () => {
    it.skip(`skipped because ${backend}`, () => {});
  });
} else {
  describeScanBackend('webgpu (llvmpipe)', () => backend, {
    tolerance: { float32: 1e-4 },
    numRuns: 10,
    longLength: 2000,
  });
}
