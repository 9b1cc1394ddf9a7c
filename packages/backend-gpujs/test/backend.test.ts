/** The ScanBackend conformance suite of @antler/scan, run on every gpu.js mode that works here. */
import { describe, it } from 'vitest';
import { describeScanBackend } from '../../scan/test/backend-conformance.js';
import { createGpuJsBackend } from '../src/index.js';
import { probes } from './modes.js';

// float32 scans reassociate products (log₂T passes, or chunk aggregates): a few ulps more than the loop.
const options = { tolerance: { float32: 1e-4 }, longLength: 3000 };

for (const probe of probes) {
  if (!probe.ran) {
    describe(`gpujs ${probe.mode}`, () => {
      it.skip(`unavailable here: ${probe.reason}`, () => {});
    });
    continue;
  }
  // Default: chunked scan for diagonal, Hillis–Steele for block and dense.
  describeScanBackend(`gpujs ${probe.mode}`, () => createGpuJsBackend({ mode: probe.mode }), {
    ...options,
    numRuns: probe.mode === 'cpu' ? 8 : 12,
  });
}

const first = probes.find((p) => p.ran);
if (first) {
  // The other diagonal paths: Hillis–Steele over all of T, and an odd chunk length (ragged last chunk).
  describeScanBackend(
    `gpujs ${first.mode} (hillis-steele)`,
    () => createGpuJsBackend({ mode: first.mode, algorithm: 'hillis-steele' }),
    { ...options, numRuns: 8 },
  );
  describeScanBackend(
    `gpujs ${first.mode} (chunkLength 3)`,
    () => createGpuJsBackend({ mode: first.mode, chunkLength: 3 }),
    { ...options, numRuns: 8 },
  );
}
