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
export * from './io/format-error.js';
export * from './io/npy.js';
export * from './io/safetensors.js';
export * from './io/weights-file.js';
export * from './parameters.js';
export * from './random.js';
export * from './zoo-cell.js';
export * from './ode/activation.js';
export * from './ode/hamiltonian-vector-field.js';
export * from './ode/mlp.js';
export * from './ode/mlp-vector-field.js';
export * from './ode/ode-vector-field.js';
export * from './pde/equations.js';
export * from './pde/grid.js';
export * from './pde/linear-solvers.js';
export * from './pde/mol-system.js';
export * from './pde/sparse-jacobian.js';
export * from './pde/time-step-cell.js';
