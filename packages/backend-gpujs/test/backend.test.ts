/** The ScanBackend conformance suite of @antler/scan, run on every gpu.js mode that works here. */
import { describe, it } from 'vitest';
import { describeScanBackend } from '../../scan/test/backend-conformance.js';
import { createGpuJsBackend } from '../src/index.js';
import { probes } from './modes.js';

for (const probe of probes) {
  if (!probe.ran) {
    describe(`gpujs ${probe.mode}`, () => {
      it.skip(`unavailable here: ${probe.reason}`, () => {});
    });
    continue;
  }
  // float32 Hillis–Steele reassociates products over log₂T passes: a few ulps more than the sequential loop.
  describeScanBackend(`gpujs ${probe.mode}`, () => createGpuJsBackend({ mode: probe.mode }), {
    tolerance: { float32: 1e-4 },
    numRuns: probe.mode === 'cpu' ? 8 : 12,
    longLength: 3000,
  });
}
