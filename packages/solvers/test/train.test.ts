import { ConvergenceError, NonFiniteError, type TensorMap } from '@antler/core';
import { describe, expect, it } from 'vitest';
import {
  Adam,
  createLinearReadout,
  createRandom,
  differentiateSolutionSync,
  finalStateCrossEntropy,
  READOUT_BIAS,
  READOUT_WEIGHT,
  trainFinalStateClassifier,
} from '../src/index.js';
import {
  centralDifference,
  gruCell,
  newtonSolveForTests,
  relativeError,
  rng,
  sequentialStates,
  uniform,
  vjpBptt,
} from './gradient-fixtures.js';

describe('Adam', () => {
  it('first step moves every parameter by lr·sign(g) (bias-corrected moments m̂ = g, v̂ = g²)', () => {
    const params: TensorMap = { w: { shape: [3], data: new Float64Array([1, 2, 3]) } };
    const adam = new Adam(params, { learningRate: 0.1, epsilon: 0 });
    const report = adam.step({ w: new Float64Array([0.5, -2, 1e-3]) });
    expect(Array.from(params.w.data)).toEqual([1 - 0.1, 2 + 0.1, 3 - 0.1].map((v) => expect.closeTo(v, 14)));
    expect(report.gradientNorm).toBeCloseTo(Math.sqrt(0.25 + 4 + 1e-6), 12);
    expect(report.clipped).toBe(false);
  });

  it('second step follows the textbook recursion', () => {
    const params: TensorMap = { w: { shape: [1], data: new Float64Array([0]) } };
    const adam = new Adam(params, { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    adam.step({ w: new Float64Array([1]) });
    adam.step({ w: new Float64Array([3]) });
    // m = 0.9·0.1 + 0.1·3 = 0.39, v = 0.999·0.001 + 0.001·9 = 0.009999
    const mHat = 0.39 / (1 - 0.81);
    const vHat = 0.009999 / (1 - 0.999 ** 2);
    const expected = -0.01 * (1 / (1 + 1e-8)) - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-8);
    expect(params.w.data[0]).toBeCloseTo(expected, 14);
  });

  it('minimises a quadratic', () => {
    const target = [0.5, -1.5, 2];
    const params: TensorMap = { w: { shape: [3], data: new Float64Array(3) } };
    const adam = new Adam(params, { learningRate: 0.05 });
    for (let k = 0; k < 1500; k++) adam.step({ w: params.w.data.map((v, i) => 2 * (v - target[i])) });
    for (let i = 0; i < 3; i++) expect(params.w.data[i]).toBeCloseTo(target[i], 3);
  });

  it('reports gradient rescaling and rejects non-finite or misnamed gradients', () => {
    const params: TensorMap = { w: { shape: [2], data: new Float64Array(2) } };
    const adam = new Adam(params, { learningRate: 0.1, maxGradientNorm: 1 });
    expect(adam.step({ w: new Float64Array([3, 4]) })).toEqual({ gradientNorm: 5, clipped: true });
    expect(() => adam.step({ w: new Float64Array([Number.NaN, 0]) })).toThrow(NonFiniteError);
    expect(() => adam.step({ v: new Float64Array(2) })).toThrow(/grads\.v/);
    expect(() => adam.step({ w: new Float64Array(3) })).toThrow(/2 elements/);
  });
});

describe('finalStateCrossEntropy', () => {
  const B = 3;
  const T = 4;
  const n = 5;
  const K = 3;
  const readout = createLinearReadout(K, n, createRandom(3));
  const states = uniform(B * T * n, 1, rng(4));
  const labels = [2, 0, 1];

  it('gradients agree with central finite differences; the cotangent is zero before t = T', () => {
    const cot = new Float64Array(B * T * n);
    const grads = { [READOUT_WEIGHT]: new Float64Array(K * n), [READOUT_BIAS]: new Float64Array(K) };
    finalStateCrossEntropy(readout, states, B, T, labels, cot, grads);
    const loss = (): number => finalStateCrossEntropy(readout, states, B, T, labels, null, null).loss;
    for (let i = 0; i < K * n; i++)
      expect(grads[READOUT_WEIGHT][i]).toBeCloseTo(
        centralDifference(readout[READOUT_WEIGHT].data, i, loss),
        8,
      );
    for (let i = 0; i < K; i++)
      expect(grads[READOUT_BIAS][i]).toBeCloseTo(centralDifference(readout[READOUT_BIAS].data, i, loss), 8);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < n; i++) {
          const k = (b * T + t) * n + i;
          if (t < T - 1) expect(cot[k]).toBe(0);
          else expect(cot[k]).toBeCloseTo(centralDifference(states, k, loss), 8);
        }
      }
    }
  });

  it('is ln K for equal logits and rejects bad labels', () => {
    const flat: TensorMap = {
      [READOUT_WEIGHT]: { shape: [K, n], data: new Float64Array(K * n) },
      [READOUT_BIAS]: { shape: [K], data: new Float64Array(K) },
    };
    expect(finalStateCrossEntropy(flat, states, B, T, labels, null, null).loss).toBeCloseTo(Math.log(K), 14);
    expect(() => finalStateCrossEntropy(readout, states, B, T, [0, 1, 3], null, null)).toThrow(/labels\[2\]/);
    expect(() => finalStateCrossEntropy(readout, states, B, T, [0, 1], null, null)).toThrow(/labels/);
  });
});

describe('differentiateSolution', () => {
  const cell = gruCell(4, 2, 30);
  const B = 2;
  const T = 50;
  const inputs = uniform(B * T * 2, 1, rng(31));
  const g = uniform(B * T * 4, 1, rng(32));

  it.each(['deer', 'quasi-deer'] as const)(
    '%s forward + exact adjoint equals BPTT at the sequential trajectory to 1e-8',
    (method) => {
      const solution = newtonSolveForTests(cell, inputs, { method, batch: B, atol: 1e-13, rtol: 0 });
      expect(solution.converged).toBe(true);
      const { gradient, loss } = differentiateSolutionSync(cell, inputs, solution, g, { batch: B });
      const states = sequentialStates(cell, inputs, B, T, null);
      const ref = vjpBptt(cell, inputs, states, B, T, null, g);
      expect(gradient.exact).toBe(true);
      for (const name of Object.keys(ref.params))
        expect(relativeError(gradient.params[name], ref.params[name]), name).toBeLessThan(1e-8);
      expect(relativeError(gradient.inputs, ref.inputs)).toBeLessThan(1e-8);
      let direct = 0;
      for (let i = 0; i < g.length; i++) direct += g[i] * states[i];
      expect(loss).toBeCloseTo(direct, 10);
    },
  );

  it('takes a loss function instead of a cotangent', () => {
    const solution = newtonSolveForTests(cell, inputs, { batch: B, atol: 1e-13, rtol: 0 });
    const sumSquares = (s: ArrayLike<number>) => {
      let l = 0;
      const c = new Float64Array(s.length);
      for (let i = 0; i < s.length; i++) {
        l += s[i] * s[i];
        c[i] = 2 * s[i];
      }
      return { loss: l, cotangent: c };
    };
    const res = differentiateSolutionSync(cell, inputs, solution, sumSquares, { batch: B });
    const w = (cell.parameters as TensorMap).weight_hh_l0.data;
    const fd = centralDifference(w, 5, () => sumSquares(sequentialStates(cell, inputs, B, T, null)).loss);
    expect(res.gradient.params.weight_hh_l0[5]).toBeCloseTo(fd, 7);
  });

  it('refuses an unconverged solve unless told to report, and then says so', () => {
    const solution = newtonSolveForTests(cell, inputs, { method: 'quasi-deer', batch: B, maxIter: 2 });
    expect(solution.converged).toBe(false);
    expect(() => differentiateSolutionSync(cell, inputs, solution, g)).toThrow(ConvergenceError);
    const res = differentiateSolutionSync(cell, inputs, solution, g, {}, { onUnconverged: 'report' });
    expect(res.gradient.converged).toBe(false);
  });
});

/** Two classes of noisy sines (periods 5 and 13 steps), random phase. */
function sineTask(count: number, length: number, seed: number) {
  const r = createRandom(seed);
  const inputs = new Float64Array(count * length);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = i % 2;
    labels[i] = y;
    const period = y === 0 ? 5 : 13;
    const phase = 2 * Math.PI * r.uniform();
    for (let t = 0; t < length; t++)
      inputs[i * length + t] = Math.sin((2 * Math.PI * t) / period + phase) + 0.2 * r.normal();
  }
  return { inputs, labels };
}

describe('trainFinalStateClassifier', () => {
  const task = sineTask(24, 40, 5);
  const run = (method: 'sequential' | 'deer' | 'quasi-deer', warmStart = true) =>
    trainFinalStateClassifier({
      cell: gruCell(4, 1, 6),
      inputs: task.inputs,
      labels: task.labels,
      classes: 2,
      method,
      steps: 30,
      batchSize: 8,
      learningRate: 0.05,
      seed: 7,
      warmStart,
      solve: { atol: 1e-10, rtol: 0 },
    });

  it('DEER, quasi-DEER and sequential BPTT give the same loss curve from the same seed, and it falls', async () => {
    const seq = await run('sequential');
    const deer = await run('deer');
    const quasi = await run('quasi-deer');
    expect(seq.records.every((r) => r.adjointPath === 'vjp-sequential')).toBe(true);
    expect(deer.records.every((r) => r.adjointPath === 'dense-reverse-scan')).toBe(true);
    for (let k = 0; k < 30; k++) {
      expect(deer.records[k].loss).toBeCloseTo(seq.records[k].loss, 6);
      expect(quasi.records[k].loss).toBeCloseTo(seq.records[k].loss, 6);
    }
    const first = seq.records[0].loss;
    const last = seq.records.slice(-5).reduce((a, r) => a + r.loss, 0) / 5;
    expect(last).toBeLessThan(0.7 * first);
    expect(Math.abs(deer.records[29].loss - seq.records[29].loss)).toBeLessThan(0.05 * seq.records[29].loss);
  });

  it('warm starting from the previous trajectory saves Newton iterations', async () => {
    const warm = await run('quasi-deer', true);
    const cold = await run('quasi-deer', false);
    const tail = (r: typeof warm) => r.records.slice(10).reduce((a, x) => a + x.iterations, 0);
    expect(tail(warm)).toBeLessThan(tail(cold));
    for (let k = 0; k < 30; k++) expect(warm.records[k].loss).toBeCloseTo(cold.records[k].loss, 6);
  });

  it('the cold-start probe measures the saving on the same parameters without changing training', async () => {
    const base = await run('quasi-deer', true);
    const probed = await trainFinalStateClassifier({
      cell: gruCell(4, 1, 6),
      inputs: task.inputs,
      labels: task.labels,
      classes: 2,
      method: 'quasi-deer',
      steps: 30,
      batchSize: 8,
      learningRate: 0.05,
      seed: 7,
      coldStartProbe: true,
      solve: { atol: 1e-10, rtol: 0 },
    });
    for (let k = 0; k < 30; k++) expect(probed.records[k].loss).toBe(base.records[k].loss);
    // 24 sequences in batches of 8: every batch from step 4 on is fully warm-started.
    expect(probed.records.slice(0, 3).every((r) => !r.warmStarted && r.coldIterations === undefined)).toBe(
      true,
    );
    const later = probed.records.slice(3);
    expect(later.every((r) => r.warmStarted && typeof r.coldIterations === 'number')).toBe(true);
    const warm = later.reduce((a, r) => a + r.iterations, 0);
    const cold = later.reduce((a, r) => a + (r.coldIterations ?? 0), 0);
    expect(warm).toBeLessThan(cold);
  });

  it('validates its arguments', async () => {
    await expect(
      trainFinalStateClassifier({
        cell: gruCell(2, 1, 1),
        inputs: task.inputs,
        labels: task.labels,
        classes: 2,
        steps: 1,
        batchSize: 100,
      }),
    ).rejects.toThrow(/batchSize/);
  });
});
