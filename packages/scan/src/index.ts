/**
 * `@antler/scan` — parallel associative scans on the CPU: the kernels every Newton iteration ends in.
 *
 * @packageDocumentation
 */
export * from './affine/aggregate.js';
export * from './affine/blelloch.js';
export * from './affine/chunked.js';
export * from './affine/kernels-by-dtype.js';
export * from './affine/prefix-products.js';
export * from './affine/prime-kernels.js';
export * from './affine/sequential.js';
export * from './affine/validate-args.js';
export * from './backends/best-backend.js';
export * from './backends/cpu-backend.js';
export * from './backends/cpu-capabilities.js';
export * from './backends/sequential-backend.js';
export * from './backends/threaded-backend.js';
export * from './kalman/parallel-kalman.js';
export * from './kalman/sequential-kalman.js';
export * from './kalman/validate-kalman-args.js';
export * from './linalg/cholesky.js';
export * from './linalg/lu.js';
export * from './threads/affine-task.js';
