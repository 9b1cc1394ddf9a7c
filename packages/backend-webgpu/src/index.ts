/**
 * `@antler/backend-webgpu` — WebGPU (WGSL) backend for Antler: GPU-resident scans and fused Newton iterations, in Node through Dawn and in browsers.
 *
 * @packageDocumentation
 */
export {};
