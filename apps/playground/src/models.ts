/**
 * The playground's models. Cells come from @antler/zoo; inputs and initial states are generated here,
 * deterministically (a fixed-seed generator), so a URL always reproduces the same run.
 */
import { createArGru, createElman, createGru, createLorenz96, createRandom } from '@antler/zoo';
import type { PlaygroundModel } from './model.js';

/** The unstable recurrence of the test suite's golden case B: W has an eigenvalue outside the unit circle. */
const UNSTABLE_W = [
  [0, -0.2288123351, 1.1092445689],
  [0.1816923326, 0, 0.6263010069],
  [2.2585943312, 1.640392347, 0],
];

/** Every model the page offers. */
export const models: readonly PlaygroundModel[] = [
  {
    id: 'gru',
    label: 'GRU (n = 8, random weights, Gaussian inputs)',
    note: 'A stable GRU as in the DEER benchmarks: DEER converges in a handful of iterations, quasi-DEER in about twice as many.',
    length: 256,
    defaultMethod: 'deer',
    defaultLambda: 0.01,
    build(length) {
      const cell = createGru({ hiddenSize: 8, inputSize: 8, seed: 1 });
      return {
        cell,
        inputs: createRandom(7).fillNormal(new Float64Array(length * 8)),
        h0: new Float64Array(8),
      };
    },
  },
  {
    id: 'unstable-elman',
    label: 'Unstable Elman RNN (n = 3, spectral radius > 1)',
    note: 'h_t = tanh(W h_{t−1} + u_t) with an unstable W. DEER’s first iterate overshoots to ~1e16 and still converges in 5 iterations in float64; quasi-DEER and quasi-ELK take ~T; ELK’s damped steps stall here — compare them.',
    length: 64,
    defaultMethod: 'deer',
    defaultLambda: 0.0001,
    build(length) {
      const cell = createElman({
        weights: {
          weight_hh_l0: UNSTABLE_W,
          weight_ih_l0: [
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ],
        },
      });
      const inputs = new Float64Array(length * 3);
      for (let t = 0; t < length; t++)
        for (let i = 0; i < 3; i++) inputs[t * 3 + i] = 0.1 * Math.sin(t * 0.5 * (i + 1));
      return { cell, inputs, h0: Float64Array.of(0.5, -0.3, 0.1) };
    },
  },
  {
    id: 'lorenz96',
    label: 'Lorenz-96 (D = 8, F = 8, chaotic; RK4, dt = 0.01)',
    note: 'Chaotic. At T = 100 DEER converges in 5 iterations, ELK with the adaptive λ (empty λ) in about 50, quasi-DEER in about 40. At T = 150 DEER overflows (reported, not hidden) and ELK stays finite but stalls: the linearisation is poor over that horizon.',
    length: 100,
    defaultMethod: 'deer',
    defaultLambda: 'adaptive',
    build() {
      const cell = createLorenz96({ size: 8, forcing: 8, dt: 0.01 });
      const h0 = new Float64Array(8).fill(8);
      h0[0] += 0.01;
      return { cell, inputs: new Float64Array(0), h0 };
    },
  },
  {
    id: 'ar-gru',
    label: 'AR-GRU sampler driven by a sine wave (ELK paper sampler, H = 3)',
    note: 'The autoregressive GRU of the ELK paper: its own sample is fed back as the next input, with the noise ε_t = sin(2πt/40) as the input sequence.',
    length: 400,
    defaultMethod: 'quasi-elk',
    defaultLambda: 0.01,
    build(length) {
      const cell = createArGru({ seed: 3 });
      const inputs = Float64Array.from({ length }, (_, t) => Math.sin((2 * Math.PI * t) / 40));
      return { cell, inputs, h0: new Float64Array(cell.stateSize) };
    },
  },
];
