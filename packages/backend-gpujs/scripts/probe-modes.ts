/**
 * Prints which gpu.js modes run on this machine and, for webgpu, the adapter.
 *
 *   npx tsx --conditions=@antler/source packages/backend-gpujs/scripts/probe-modes.ts
 */
import { installWebGpuNavigator, probeGpuJsModes } from '../src/index.js';

console.log('webgpu adapter:', (await installWebGpuNavigator()).adapter);
for (const p of await probeGpuJsModes()) {
  console.log(`${p.mode}: ${p.ran ? `ran on ${p.ranOn}` : 'unavailable'}${p.reason ? ` — ${p.reason}` : ''}`);
}
process.exit(0);
