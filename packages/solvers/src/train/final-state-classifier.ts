/**
 * The classification head of the training example: a linear readout of the final state followed by
 * softmax cross-entropy, with its gradient with respect to the readout and to the states.
 */
import {
  checkInteger,
  checkLength,
  type FloatArray,
  type GradientMap,
  ShapeError,
  type TensorMap,
} from '@antler/core';
import type { Random } from './random.js';

/** Parameter names of the readout: `readout.weight` `[K][n]` and `readout.bias` `[K]` (PyTorch `nn.Linear` layout). */
export const READOUT_WEIGHT = 'readout.weight';
/** See {@link READOUT_WEIGHT}. */
export const READOUT_BIAS = 'readout.bias';

/**
 * A linear readout `logits = W s_T + c` for `classes` classes from states of `size`, initialised like
 * PyTorch's `nn.Linear` (uniform ±1/√n).
 *
 * @example
 * ```ts
 * import { createLinearReadout, createRandom } from '@antler/solvers';
 * const readout = createLinearReadout(4, 8, createRandom(0)); // { 'readout.weight': [4][8], 'readout.bias': [4] }
 * ```
 */
export function createLinearReadout(classes: number, size: number, random: Random): TensorMap {
  checkInteger(classes, 'classes', 2);
  checkInteger(size, 'size');
  const bound = 1 / Math.sqrt(size);
  const w = new Float64Array(classes * size);
  const c = new Float64Array(classes);
  for (let i = 0; i < w.length; i++) w[i] = (2 * random.uniform() - 1) * bound;
  for (let i = 0; i < c.length; i++) c[i] = (2 * random.uniform() - 1) * bound;
  return {
    [READOUT_WEIGHT]: { shape: [classes, size], data: w },
    [READOUT_BIAS]: { shape: [classes], data: c },
  };
}

/** Loss and accuracy of one batch. */
export interface ClassifierLoss {
  /** Mean cross-entropy over the batch (natural log). */
  readonly loss: number;
  /** Sequences whose arg-max logit is the label. */
  readonly correct: number;
}

/**
 * Mean softmax cross-entropy of the readout of each sequence's final state. Writes ∂loss/∂s into
 * `cotangent` (`[B][T][n]`; zero except at t = T) and **adds** ∂loss/∂W, ∂loss/∂c into `gradReadout`
 * (when given).
 *
 * @param states - `[B][T][n]` trajectories.
 * @param labels - `[B]` class indices in 0 … K−1.
 */
export function finalStateCrossEntropy(
  readout: TensorMap,
  states: FloatArray,
  batch: number,
  length: number,
  labels: ArrayLike<number>,
  cotangent: Float64Array | null,
  gradReadout: GradientMap | null,
): ClassifierLoss {
  const W = readout[READOUT_WEIGHT];
  const c = readout[READOUT_BIAS];
  if (!W || !c)
    throw new ShapeError(
      'readout',
      `a TensorMap with '${READOUT_WEIGHT}' and '${READOUT_BIAS}'`,
      Object.keys(readout).join(', '),
    );
  const [K, n] = W.shape as [number, number];
  checkLength('states', states, [batch, length, n], ['B', 'T', 'n']);
  if (cotangent) {
    checkLength('cotangent', cotangent, [batch, length, n], ['B', 'T', 'n']);
    cotangent.fill(0);
  }
  if (labels.length !== batch)
    throw new ShapeError('labels', `[B=${batch}] class indices`, `length ${labels.length}`);
  const logits = new Float64Array(K);
  let loss = 0;
  let correct = 0;
  for (let b = 0; b < batch; b++) {
    const y = labels[b];
    if (!Number.isInteger(y) || y < 0 || y >= K)
      throw new ShapeError(`labels[${b}]`, `an integer in 0 … ${K - 1}`, String(y));
    const s = (b * length + length - 1) * n;
    let max = -Infinity;
    let arg = 0;
    for (let k = 0; k < K; k++) {
      let v = c.data[k];
      for (let j = 0; j < n; j++) v += W.data[k * n + j] * states[s + j];
      logits[k] = v;
      if (v > max) {
        max = v;
        arg = k;
      }
    }
    // log-sum-exp shifted by the max, so large logits do not overflow.
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(logits[k] - max);
    loss += Math.log(sum) + max - logits[y];
    if (arg === y) correct++;
    if (!cotangent && !gradReadout) continue;
    for (let k = 0; k < K; k++) {
      const d = (Math.exp(logits[k] - max) / sum - (k === y ? 1 : 0)) / batch;
      if (gradReadout) {
        gradReadout[READOUT_BIAS][k] += d;
        for (let j = 0; j < n; j++) gradReadout[READOUT_WEIGHT][k * n + j] += d * states[s + j];
      }
      if (cotangent) for (let j = 0; j < n; j++) cotangent[s + j] += W.data[k * n + j] * d;
    }
  }
  return { loss: loss / batch, correct };
}
