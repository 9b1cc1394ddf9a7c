/**
 * `@antler/zoo` — The Antler model zoo: RNN cells (Elman, GRU, LSTM, ...), NeuralODE vector fields and PDE stencils with analytic Jacobians.
 *
 * @packageDocumentation
 */
export * from './cells/elman.js';
export * from './cells/gru.js';
export * from './parameters.js';
export * from './random.js';
export * from './zoo-cell.js';
