/**
 * `@antler/zoo` — The Antler model zoo: RNN cells (Elman, GRU, LSTM, ...), NeuralODE vector fields and PDE stencils with analytic Jacobians.
 *
 * @packageDocumentation
 */
export {};
