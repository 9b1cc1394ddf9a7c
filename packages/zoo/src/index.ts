/**
 * `@antler/zoo` — The Antler model zoo: RNN cells (Elman, GRU, LSTM, ...), NeuralODE vector fields and PDE stencils with analytic Jacobians.
 *
 * @packageDocumentation
 */
export * from './cells/ar-gru.js';
export * from './cells/custom.js';
export * from './cells/elman.js';
export * from './cells/gru.js';
export * from './cells/lorenz96.js';
export * from './cells/lstm.js';
export * from './cells/min-rnn.js';
export * from './cells/para-rnn.js';
export * from './factory.js';
export * from './parameters.js';
export * from './random.js';
export * from './zoo-cell.js';
