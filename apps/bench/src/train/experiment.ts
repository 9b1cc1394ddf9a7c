/**
 * The `antler train` experiment: the same GRU, data, seed and mini-batches trained with several forward
 * methods (DEER, quasi-DEER, sequential BPTT). Parallel methods warm-start each solve from the sequence's
 * previous converged trajectory and, when asked, also solve the same batch from zeros (a paired probe) to
 * measure what warm starting saves.
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
  /** Probe every warm-started step with a solve from zeros (same parameters) to measure the saving. */
  readonly compareWarmStart: boolean;
  /** Probe every k-th step only (default 1). */
  readonly probeInterval?: number;
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
  /** 0-based index of the run and the number of runs. */
  readonly index: number;
  readonly total: number;
}

/** Summary of one training run. */
export interface RunSummary {
  readonly method: Method;
  readonly losses: readonly number[];
  /** Newton iterations per step (warm-started once a sequence has been seen). */
  readonly iterations: readonly number[];
  /** Iterations of the same solve from zeros, for warm-started steps (null elsewhere or when not probed). */
  readonly coldIterations: readonly (number | null)[];
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
  /**
   * Mean iterations per step over the fully warm-started steps, warm vs the paired cold probe, per
   * parallel method (when probed).
   */
  readonly warmStart: readonly {
    method: Method;
    steps: number;
    warm: number;
    cold: number;
    savedFraction: number;
  }[];
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
  const runs: RunSummary[] = [];
  for (const [index, method] of options.methods.entries()) {
    const cell = options.createCell(options.hidden, 1, options.seed);
    const label: RunLabel = { method, index, total: options.methods.length };
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
      warmStart: true,
      coldStartProbe: options.compareWarmStart,
      coldStartProbeInterval: options.probeInterval,
      solve: { atol: options.atol, rtol: options.rtol, maxIter: options.maxIter },
      onStep: (record) => options.onStep?.(label, record),
    });
    const recs = result.records;
    const after = recs.slice(1);
    const evalResult = evaluate(cell, result, test.inputs, test.labels, options.length);
    runs.push({
      method,
      losses: recs.map((r) => r.loss),
      iterations: recs.map((r) => r.iterations),
      coldIterations: recs.map((r) => r.coldIterations ?? null),
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
  const warmStart = runs
    .filter((r) => r.method !== 'sequential')
    .flatMap((r) => {
      const paired = r.iterations.flatMap((warm, k) => {
        const cold = r.coldIterations[k];
        return cold === null ? [] : [{ warm, cold }];
      });
      if (paired.length === 0) return [];
      const warm = mean(paired.map((p) => p.warm));
      const cold = mean(paired.map((p) => p.cold));
      return [{ method: r.method, steps: paired.length, warm, cold, savedFraction: 1 - warm / cold }];
    });
  const { createCell: _c, solver: _s, onStep: _o, ...config } = options;
  return { config: { ...config, periods }, runs, warmStart };
}
