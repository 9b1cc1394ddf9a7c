/**
 * `@antler/backend-gpujs` — gpu.js backend for Antler: affine scans as gpu.js kernels kept on the
 * device between passes, and custom cells written as plain JavaScript functions that gpu.js compiles.
 *
 * @packageDocumentation
 */
export * from './affine-args.js';
export * from './affine-pack.js';
export * from './gpujs-backend.js';
export * from './gpujs-mode.js';
export * from './scan-kernel.js';
export * from './scan-plans.js';
export * from './webgpu-environment.js';
export * from './cell-source.js';
export * from './gpu-cell.js';
export * from './device-kernels.js';
export * from './device-solver.js';
export * from './chunked-kernel.js';
export * from './gru-cell.js';
