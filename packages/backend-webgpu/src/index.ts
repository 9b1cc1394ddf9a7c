/**
 * `@antler/backend-webgpu` — WebGPU (WGSL) backend for Antler: GPU-resident scans and fused Newton iterations, in Node through Dawn and in browsers.
 *
 * @packageDocumentation
 */
export { type AdapterDescription, acquireGpu, type GpuContext, type GpuOptions } from './gpu-context.js';
export {
  chunking,
  type FusedSolveSettings,
  type FusedSolveStats,
  GruDeviceProblem,
  problemBytes,
} from './gru-device-problem.js';
export { batchGroupSize, solveGruOnDevice } from './gru-solve.js';
export { type GruWeights, packGru } from './gru-weights.js';
export {
  type EncodedScan,
  encodeAffineScan,
  hasSubgroups,
  type ScanBuffers,
  type ScanEncodeOptions,
  type ScanShape,
} from './scan-encode.js';
export {
  planScan,
  type ScanAlgorithm,
  type ScanKernel,
  type ScanLimits,
  type ScanPlan,
  tiledFits,
  timeWindow,
} from './scan-plan.js';
export { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from './webgpu-backend.js';
