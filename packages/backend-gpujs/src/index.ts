/**
 * `@antler/backend-gpujs` — gpu.js backend for Antler: scans as gpu.js kernels and custom cells written as plain JavaScript functions.
 *
 * @packageDocumentation
 */
export {};
