/**
 * `@antler/core` — the small interface every Antler package speaks.
 *
 * - dtypes and flat typed arrays ({@link DType}, {@link allocate});
 * - the batch-outermost layout and strided views ({@link SequenceView});
 * - the {@link Cell} contract (a step with analytic Jacobians and a VJP);
 * - the {@link ScanBackend} contract (affine and Kalman scans);
 * - solver options and results ({@link SolveOptions}, {@link SolveResult});
 * - typed errors and validation helpers.
 *
 * @packageDocumentation
 */
export * from './affine-args.js';
export * from './backend.js';
export * from './cell.js';
export * from './dtype.js';
export * from './errors.js';
export * from './kalman-args.js';
export * from './layout.js';
export * from './solve.js';
export * from './tensor.js';
export * from './random.js';
export * from './validate.js';
export * from './vector-field.js';
