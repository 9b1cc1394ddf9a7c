/**
 * The synthetic long-sequence task of `antler train`: classify which of K frequencies a noisy sine wave
 * has. Each sequence is x_t = sin(2π t / P_y + φ) + σ ε_t with a random phase φ and Gaussian noise.
 */
import { createRandom } from '@antler/solvers';

/** Settings of {@link createSineTask}. */
export interface SineTaskOptions {
  /** Number of sequences N. */
  readonly count: number;
  /** Sequence length T. */
  readonly length: number;
  /** Periods (in steps) of the K classes; default [6, 10, 16, 26]. */
  readonly periods?: readonly number[];
  /** Noise standard deviation σ; default 0.5. */
  readonly noise?: number;
  /** Seed. */
  readonly seed: number;
}

/** A labelled data set: inputs `[N][T][1]`, labels `[N]`. */
export interface SineTask {
  readonly inputs: Float64Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly length: number;
  readonly classes: number;
  readonly periods: readonly number[];
  readonly noise: number;
}

/** The default class periods, in steps. */
export const DEFAULT_PERIODS: readonly number[] = [6, 10, 16, 26];

/**
 * Generates the noisy-sine classification data set (classes balanced: sequence i has label i mod K).
 *
 * @example
 * ```ts
 * const task = createSineTask({ count: 64, length: 2000, seed: 1 });
 * task.inputs.length; // 64 * 2000
 * ```
 */
export function createSineTask(options: SineTaskOptions): SineTask {
  const periods = options.periods ?? DEFAULT_PERIODS;
  const noise = options.noise ?? 0.5;
  const { count, length } = options;
  const random = createRandom(options.seed);
  const inputs = new Float64Array(count * length);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % periods.length;
    labels[i] = y;
    const w = (2 * Math.PI) / periods[y];
    const phase = 2 * Math.PI * random.uniform();
    const row = i * length;
    for (let t = 0; t < length; t++) inputs[row + t] = Math.sin(w * t + phase) + noise * random.normal();
  }
  return { inputs, labels, count, length, classes: periods.length, periods, noise };
}
