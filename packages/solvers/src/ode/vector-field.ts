/**
 * The vector-field contract of `solveIVP`. It lives in `@antler/core` (so that `@antler/zoo`'s fields
 * implement the very same interface); it is re-exported here for convenience.
 */
export type { VectorField } from '@antler/core';
