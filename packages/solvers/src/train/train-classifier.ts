/**
 * A small, real training loop: a recurrent cell plus a linear readout of its final state, trained with
 * Adam on shuffled mini-batches. The forward pass is any solver method (warm-started from each sequence's
 * previous converged trajectory); the backward pass is the exact adjoint ({@link differentiateTrajectory}),
 * or, for `sequential`, backpropagation through time as a plain reverse loop over the cell's VJP.
 */
import {
  type Cell,
  checkInteger,
  checkLength,
  type FloatArray,
  type Method,
  type SolveOptions,
  type SolveResult,
  ShapeError,
  type TensorMap,
  zerosLike,
} from '@antler/core';
import { AdjointWorkspace } from '../gradient/adjoint-workspace.js';
import { solve } from '../solve.js';
import { differentiateSolution } from '../gradient/differentiate-solution.js';
import type { AdjointPath } from '../gradient/types.js';
import { Adam } from './adam.js';
import { createLinearReadout, finalStateCrossEntropy } from './final-state-classifier.js';
import { createRandom, permutation } from './random.js';
import { sequentialSolve } from './sequential-solve.js';

/** A forward solver with the signature of the library's `solve` (sync or async). */
export type ForwardSolver = (
  cell: Cell,
  inputs: FloatArray,
  options: SolveOptions,
) => SolveResult | Promise<SolveResult>;

/** Solver settings a training run passes to every forward solve. */
export type TrainSolveOptions = Pick<
  SolveOptions,
  'atol' | 'rtol' | 'maxIter' | 'backend' | 'elk' | 'blockSize'
>;

/** Options of {@link trainFinalStateClassifier}. */
export interface TrainClassifierOptions {
  /** The recurrent cell; its `parameters` (which must exist) are updated in place. */
  readonly cell: Cell;
  /** Training sequences `[N][T][m]`. */
  readonly inputs: FloatArray;
  /** Labels `[N]`, integers in 0 … classes−1. */
  readonly labels: ArrayLike<number>;
  /** Number of classes K. */
  readonly classes: number;
  /**
   * Forward method; default `deer`. `sequential` runs the plain loop forward and BPTT (a reverse VJP loop)
   * backward; every other method runs `solver` forward and the exact dense adjoint backward.
   */
  readonly method?: Method;
  /** The forward solver of the parallel methods; default the library's `solve`. Not used by `sequential`. */
  readonly solver?: ForwardSolver;
  /** Optimiser steps. */
  readonly steps: number;
  /** Sequences per mini-batch (≤ N). */
  readonly batchSize: number;
  /** Adam step size; default 0.01. */
  readonly learningRate?: number;
  /** Rescale gradients larger than this global norm (off by default; reported per step). */
  readonly maxGradientNorm?: number;
  /** Seed of the readout initialisation and the mini-batch order; default 0. */
  readonly seed?: number;
  /** Start each solve from the sequence's last converged trajectory (default true). */
  readonly warmStart?: boolean;
  /**
   * Also solve every warm-started mini-batch from zeros (forward only, not timed, not used for training) and
   * record its iterations as `coldIterations`: a paired measurement of what warm starting saves.
   */
  readonly coldStartProbe?: boolean;
  /** Probe only every k-th step (default 1: every warm-started step). */
  readonly coldStartProbeInterval?: number;
  /** Tolerances, iteration limit and backend of the forward solves. */
  readonly solve?: TrainSolveOptions;
  /** Called after every step (awaited), e.g. to draw a progress bar. */
  readonly onStep?: (record: TrainStepRecord) => void | Promise<void>;
}

/** What one training step did. */
export interface TrainStepRecord {
  /** 1-based step. */
  readonly step: number;
  /** Mean cross-entropy of the mini-batch before the update. */
  readonly loss: number;
  /** Fraction of the mini-batch classified correctly before the update. */
  readonly accuracy: number;
  /** Newton iterations of the forward solve (1 for `sequential`). */
  readonly iterations: number;
  /** True when every sequence of the mini-batch started from its previous converged trajectory. */
  readonly warmStarted: boolean;
  /** Iterations the same solve needed from zeros (only with `coldStartProbe`). */
  readonly coldIterations?: number;
  /** How the adjoint was computed. */
  readonly adjointPath: AdjointPath;
  /** Global gradient norm before any rescaling. */
  readonly gradientNorm: number;
  /** True when the gradient was rescaled. */
  readonly clipped: boolean;
  /** Forward solve seconds. */
  readonly forwardSeconds: number;
  /** Backward (adjoint + VJPs + loss) seconds. */
  readonly backwardSeconds: number;
  /** Whole step, optimiser included. */
  readonly seconds: number;
}

/** The outcome of a training run. */
export interface TrainClassifierResult {
  /** Forward method used. */
  readonly method: Method;
  /** One record per step. */
  readonly records: readonly TrainStepRecord[];
  /** The trained readout (`readout.weight`, `readout.bias`). */
  readonly readout: TensorMap;
}

/** Copies sequences `indices` of a `[N][T][w]` array into `out` (`[B][T][w]`). */
function gather(source: FloatArray, indices: ArrayLike<number>, stride: number, out: FloatArray): void {
  for (let b = 0; b < indices.length; b++) {
    const from = indices[b] * stride;
    out.set(source.subarray(from, from + stride), b * stride);
  }
}

/** Scatters `[B][T][w]` back into sequences `indices` of a `[N][T][w]` array. */
function scatter(source: FloatArray, indices: ArrayLike<number>, stride: number, out: Float64Array): void {
  for (let b = 0; b < indices.length; b++)
    out.set(source.subarray(b * stride, (b + 1) * stride), indices[b] * stride);
}

/**
 * Trains `cell` and a linear readout of its final state to classify sequences, with Adam on shuffled
 * mini-batches (same seed ⇒ same batches and same readout initialisation for every method, so loss curves
 * of different methods can be compared step by step).
 *
 * @example
 * ```ts
 * import { trainFinalStateClassifier } from '@antler/solvers';
 * const run = await trainFinalStateClassifier({
 *   cell, inputs, labels, classes: 4, method: 'deer',
 *   steps: 50, batchSize: 16, learningRate: 0.01, seed: 1,
 * });
 * run.records.at(-1)?.loss; // final mini-batch loss
 * ```
 */
export async function trainFinalStateClassifier(
  options: TrainClassifierOptions,
): Promise<TrainClassifierResult> {
  const { cell } = options;
  const method = options.method ?? 'deer';
  const n = cell.stateSize;
  const m = checkInteger(cell.inputSize, 'cell.inputSize');
  const params = cell.parameters;
  if (!params || Object.keys(params).length === 0)
    throw new ShapeError('cell.parameters', 'named parameter tensors to train', 'none');
  const N = options.labels.length;
  checkInteger(N, 'labels.length');
  const inputs = options.inputs;
  if (inputs.length % (N * m) !== 0)
    throw new ShapeError('inputs', `[N=${N}][T][m=${m}]`, `length ${inputs.length}`);
  const T = inputs.length / (N * m);
  checkLength('inputs', inputs, [N, T, m], ['N', 'T', 'm']);
  const steps = checkInteger(options.steps, 'steps');
  const B = checkInteger(options.batchSize, 'batchSize');
  if (B > N) throw new ShapeError('batchSize', `at most the number of sequences (${N})`, String(B));
  const K = checkInteger(options.classes, 'classes', 2);
  const solver: ForwardSolver = options.solver ?? solve;

  const random = createRandom(options.seed ?? 0);
  const readout = createLinearReadout(K, n, random);
  const all: Record<string, TensorMap[string]> = { ...params, ...readout };
  const adam = new Adam(all, {
    learningRate: options.learningRate ?? 0.01,
    maxGradientNorm: options.maxGradientNorm,
  });
  const warm = options.warmStart ?? true;
  const probeInterval = checkInteger(options.coldStartProbeInterval ?? 1, 'coldStartProbeInterval');
  const cache = warm && method !== 'sequential' ? new Float64Array(N * T * n) : null;
  const seen = new Uint8Array(N);

  const xb = new Float64Array(B * T * m);
  const guess = new Float64Array(B * T * n);
  const labels = new Int32Array(B);
  const cotangent = new Float64Array(B * T * n);
  const workspace = new AdjointWorkspace();
  const records: TrainStepRecord[] = [];
  let order = permutation(N, random);
  let cursor = 0;
  for (let step = 1; step <= steps; step++) {
    const started = performance.now();
    if (cursor + B > N) {
      order = permutation(N, random);
      cursor = 0;
    }
    const idx = order.subarray(cursor, cursor + B);
    cursor += B;
    gather(inputs, idx, T * m, xb);
    for (let b = 0; b < B; b++) labels[b] = options.labels[idx[b]];

    // Forward.
    let solution: SolveResult;
    const solveOptions: SolveOptions = { ...options.solve, method, batch: B };
    let warmCount = 0;
    let coldIterations: number | undefined;
    let probeSeconds = 0;
    if (method === 'sequential') {
      solution = sequentialSolve(cell, xb, B, T);
    } else {
      let initialGuess: SolveOptions['initialGuess'];
      if (cache) {
        guess.fill(0);
        for (let b = 0; b < B; b++) {
          if (seen[idx[b]]) {
            warmCount++;
            guess.set(cache.subarray(idx[b] * T * n, (idx[b] + 1) * T * n), b * T * n);
          }
        }
        if (warmCount > 0) initialGuess = guess;
      }
      solution = await solver(cell, xb, { ...solveOptions, initialGuess });
      if (options.coldStartProbe && initialGuess !== undefined && step % probeInterval === 0) {
        // Same parameters, same batch, from zeros: the paired cost of not warm starting (not timed).
        const probeStarted = performance.now();
        coldIterations = (await solver(cell, xb, solveOptions)).iterations;
        probeSeconds = (performance.now() - probeStarted) / 1000;
      }
    }
    const forwardDone = performance.now() - probeSeconds * 1000;
    const backwardStarted = performance.now();
    if (cache) {
      scatter(solution.states, idx, T * n, cache);
      for (let b = 0; b < B; b++) seen[idx[b]] = 1;
    }

    // Backward: loss on the final state, then the adjoint through the trajectory.
    const grads = zerosLike(all);
    const head = finalStateCrossEntropy(readout, solution.states, B, T, labels, cotangent, grads);
    const { gradient } = await differentiateSolution(cell, xb, solution, cotangent, solveOptions, {
      adjointPath: method === 'sequential' ? 'vjp-sequential' : 'auto',
      inputGradients: false,
      workspace,
    });
    for (const [name, g] of Object.entries(gradient.params)) grads[name].set(g);
    const backwardDone = performance.now();
    const report = adam.step(grads);
    const record: TrainStepRecord = {
      step,
      loss: head.loss,
      accuracy: head.correct / B,
      iterations: solution.iterations,
      warmStarted: warmCount === B,
      coldIterations,
      adjointPath: gradient.path,
      gradientNorm: report.gradientNorm,
      clipped: report.clipped,
      forwardSeconds: (forwardDone - started) / 1000,
      backwardSeconds: (backwardDone - backwardStarted) / 1000,
      seconds: (performance.now() - started) / 1000 - probeSeconds,
    };
    records.push(record);
    await options.onStep?.(record);
  }
  return { method, records, readout };
}
