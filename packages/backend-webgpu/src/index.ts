/**
 * `@antler/backend-webgpu` — WebGPU (WGSL) backend for Antler: GPU-resident scans and fused Newton iterations, in Node through Dawn and in browsers.
 *
 * @packageDocumentation
 */
export { type AdapterDescription, acquireGpu, type GpuContext, type GpuOptions } from './gpu-context.js';
export {
  type DeviceCellKernel,
  type DeviceStructure,
  packInput,
  transposeInto,
} from './device-cell-kernel.js';
export { DEVICE_CELL_KINDS, packDeviceCell } from './device-cells.js';
export {
  chunking,
  DeviceProblem,
  deerChunks,
  type FusedMethod,
  type FusedSolveSettings,
  type FusedSolveStats,
  fusedStructure,
  GruDeviceProblem,
  LATENCY_PATH_MAX_PARTIALS,
  latencyPath,
  MIN_CHUNK_STEPS,
  problemBytes,
  unitsPerThread,
} from './device-problem.js';
export { batchGroupSize, solveCellOnDevice, solveGruOnDevice } from './device-solve.js';
export { COOPERATIVE_FROM, cooperativeBytes, denseFits } from './wgsl-fused-dense.js';
export { packElman } from './elman-kernel.js';
export { type GruWeights, packGru } from './gru-kernel.js';
export { packLstm } from './lstm-kernel.js';
export { packMinRnn } from './min-rnn-kernels.js';
export { packParaGru, packParaLstm } from './para-rnn-kernels.js';
export {
  type EncodedScan,
  encodeAffineScan,
  hasSubgroups,
  type ScanBuffers,
  type ScanEncodeOptions,
  type ScanShape,
} from './scan-encode.js';
export { checkDenseKalman, type DenseKalmanLimits } from './scan-kalman-dense.js';
export {
  planScan,
  type ScanAlgorithm,
  type ScanKernel,
  type ScanLimits,
  type ScanPlan,
  type TiledAggregate,
  tiledFits,
  timeWindow,
} from './scan-plan.js';
export { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from './webgpu-backend.js';
