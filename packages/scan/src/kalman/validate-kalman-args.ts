/**
 * Validation of Kalman scan arguments. The validator lives in `@antler/core`, shared with the GPU
 * backends; it is re-exported here for the CPU algorithms and for existing imports.
 */
export { type ResolvedKalmanArgs, resolveKalmanArgs } from '@antler/core';
