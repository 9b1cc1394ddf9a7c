/**
 * The `antler train` experiment: the same GRU, data, seed and mini-batches trained with several forward
 * methods (DEER, quasi-DEER, sequential BPTT), plus cold-start reruns of the parallel methods to measure
 * what warm starting saves.
 */
import type { Cell, Method } from '@antler/core';
import {
  type ForwardSolver,
  finalStateCrossEntropy,
  type TrainClassifierResult,
  type TrainStepRecord,
  trainFinalStateClassifier,
} from '@antler/solvers';
import { createSineTask, DEFAULT_PERIODS } from './sine-task.js';

/** Settings of {@link runTrainExperiment}. */
export interface TrainExperimentOptions {
  /** Methods to train with, in order; default deer, quasi-deer, sequential. */
  readonly methods: readonly Method[];
  /** Sequence length T. */
  readonly length: number;
  /** GRU hidden size n. */
  readonly hidden: number;
  /** Training sequences N. */
  readonly trainCount: number;
  /** Held-out sequences for the final accuracy. */
  readonly testCount: number;
  /** Mini-batch size. */
  readonly batchSize: number;
  /** Optimiser steps. */
  readonly steps: number;
  /** Adam step size. */
  readonly learningRate: number;
  /** Seed of data, initial weights and mini-batch order (the same for every method). */
  readonly seed: number;
  /** Noise σ of the sine task. */
  readonly noise: number;
  /** Class periods in steps. */
  readonly periods?: readonly number[];
  /** Solver tolerances and iteration limit. */
  readonly atol?: number;
  readonly rtol?: number;
  readonly maxIter?: number;
  /** Also train each parallel method from cold starts (zeros) to measure the warm-start saving. */
  readonly compareWarmStart: boolean;
  /** Builds the GRU (hidden n, input 1) with weights drawn from `seed`. */
  readonly createCell: (hidden: number, inputSize: number, seed: number) => Cell;
  /** The forward solver of the parallel methods. */
  readonly solver: ForwardSolver;
  /** Called after every step of every run. */
  readonly onStep?: (run: RunLabel, record: TrainStepRecord) => void | Promise<void>;
}

/** Which run a step belongs to. */
export interface RunLabel {
  readonly method: Method;
  readonly warmStart: boolean;
  /** 0-based index of the run and the number of runs. */
  readonly index: number;
  readonly total: number;
}

/** Summary of one training run. */
export interface RunSummary {
  readonly method: Method;
  readonly warmStart: boolean;
  readonly losses: readonly number[];
  readonly iterations: readonly number[];
  /** Median wall seconds per step (forward + backward + optimiser), over steps 2 … end. */
  readonly medianStepSeconds: number;
  readonly medianForwardSeconds: number;
  readonly medianBackwardSeconds: number;
  /** Mean Newton iterations per step. */
  readonly meanIterations: number;
  /** Mean of the last five mini-batch losses. */
  readonly finalLoss: number;
  /** Accuracy and loss on the held-out set after training. */
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly adjointPath: string;
}

/** Everything `antler train` writes. */
export interface TrainExperimentResult {
  readonly config: Omit<TrainExperimentOptions, 'createCell' | 'solver' | 'onStep'>;
  readonly runs: readonly RunSummary[];
  /** Iterations per step with and without warm starting, per parallel method (when compared). */
  readonly warmStart: readonly { method: Method; warm: number; cold: number; savedFraction: number }[];
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Final states by the plain loop, for the held-out evaluation (the trained model is the sequential model). */
function evaluate(
  cell: Cell,
  result: TrainClassifierResult,
  inputs: Float64Array,
  labels: Int32Array,
  length: number,
) {
  const n = cell.stateSize;
  const N = labels.length;
  const states = new Float64Array(N * length * n);
  const zero = new Float64Array(n);
  for (let b = 0; b < N; b++) {
    for (let t = 0; t < length; t++) {
      const k = b * length + t;
      if (t === 0) cell.step(zero, 0, inputs, k, states, k * n);
      else cell.step(states, (k - 1) * n, inputs, k, states, k * n);
    }
  }
  const head = finalStateCrossEntropy(result.readout, states, N, length, labels, null, null);
  return { accuracy: head.correct / N, loss: head.loss };
}

/**
 * Runs the experiment: one training run per method (warm-started), then cold-start reruns of the
 * parallel methods when asked.
 */
export async function runTrainExperiment(options: TrainExperimentOptions): Promise<TrainExperimentResult> {
  const periods = options.periods ?? DEFAULT_PERIODS;
  const data = createSineTask({
    count: options.trainCount,
    length: options.length,
    periods,
    noise: options.noise,
    seed: options.seed,
  });
  const test = createSineTask({
    count: options.testCount,
    length: options.length,
    periods,
    noise: options.noise,
    seed: options.seed + 1_000_003,
  });
  const plan: { method: Method; warmStart: boolean }[] = options.methods.map((method) => ({
    method,
    warmStart: true,
  }));
  if (options.compareWarmStart) {
    for (const method of options.methods)
      if (method !== 'sequential') plan.push({ method, warmStart: false });
  }
  const runs: RunSummary[] = [];
  for (const [index, { method, warmStart }] of plan.entries()) {
    const cell = options.createCell(options.hidden, 1, options.seed);
    const label: RunLabel = { method, warmStart, index, total: plan.length };
    const result = await trainFinalStateClassifier({
      cell,
      inputs: data.inputs,
      labels: data.labels,
      classes: data.classes,
      method,
      solver: options.solver,
      steps: options.steps,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      seed: options.seed,
      warmStart,
      solve: { atol: options.atol, rtol: options.rtol, maxIter: options.maxIter },
      onStep: (record) => options.onStep?.(label, record),
    });
    const recs = result.records;
    const after = recs.slice(1);
    const evalResult = evaluate(cell, result, test.inputs, test.labels, options.length);
    runs.push({
      method,
      warmStart,
      losses: recs.map((r) => r.loss),
      iterations: recs.map((r) => r.iterations),
      medianStepSeconds: median(after.map((r) => r.seconds)),
      medianForwardSeconds: median(after.map((r) => r.forwardSeconds)),
      medianBackwardSeconds: median(after.map((r) => r.backwardSeconds)),
      meanIterations: mean(recs.map((r) => r.iterations)),
      finalLoss: mean(recs.slice(-5).map((r) => r.loss)),
      testAccuracy: evalResult.accuracy,
      testLoss: evalResult.loss,
      adjointPath: recs[0]?.adjointPath ?? 'none',
    });
  }
  const warmStart = options.methods
    .filter((m) => m !== 'sequential')
    .flatMap((method) => {
      const warm = runs.find((r) => r.method === method && r.warmStart);
      const cold = runs.find((r) => r.method === method && !r.warmStart);
      if (!warm || !cold) return [];
      return [
        {
          method,
          warm: warm.meanIterations,
          cold: cold.meanIterations,
          savedFraction: 1 - warm.meanIterations / cold.meanIterations,
        },
      ];
    });
  const { createCell: _c, solver: _s, onStep: _o, ...config } = options;
  return { config: { ...config, periods }, runs, warmStart };
}
