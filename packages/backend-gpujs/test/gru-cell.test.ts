/**
 * flaxGruGpuCell (and gpuCell array constants): the CPU Cell against an independent float64 flax GRU,
 * its Jacobians against central differences, the gpu.js kernels against the CPU Cell, and device solves
 * against the sequential loop, with the compiled plan reused between solves.
 */
import { ShapeError } from '@antler/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuJsBackend, flaxGruGpuCell, type GpuJsBackend, gpuCell } from '../src/index.js';
import { probes } from './modes.js';

function random(seed: number, len: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(len);
  for (let k = 0; k < len; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

const n = 5;
const m = 3;
const G = 3 * n;
const wx = random(11, (m + 1) * G, 0.8);
const wh = random(12, n * G + n, 0.8);
const cell = flaxGruGpuCell({ hiddenSize: n, inputSize: m, wx, wh });

/** The flax GRU written out per gate with explicit weight matrices (float64). */
function gruReference(h: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const W = (w: Float32Array, row: number, gate: number, i: number) => w[row * G + gate * n + i];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pre = [0, 1, 2].map((g) => {
      let s = W(wx, m, g, i);
      for (let k = 0; k < m; k++) s += x[k] * W(wx, k, g, i);
      return s;
    });
    const hid = [0, 1, 2].map((g) => {
      let s = 0;
      for (let k = 0; k < n; k++) s += h[k] * W(wh, k, g, i);
      return s;
    });
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const r = sigmoid(pre[0] + hid[0]);
    const z = sigmoid(pre[1] + hid[1]);
    const c = Math.tanh(pre[2] + r * (hid[2] + wh[n * G + i]));
    out[i] = (1 - z) * c + z * h[i];
  }
  return out;
}

describe('flaxGruGpuCell on the CPU', () => {
  const h = Float64Array.from(random(3, n, 0.9));
  const x = Float64Array.from(random(4, m, 1.5));

  it('step equals the independent flax GRU formula', () => {
    const out = new Float64Array(n + 1);
    cell.step(h, 0, x, 0, out, 1);
    const ref = gruReference(h, x);
    for (let i = 0; i < n; i++) expect(out[1 + i]).toBeCloseTo(ref[i], 6);
  });

  it('dense and diagonal Jacobians equal central differences of the reference', () => {
    const f = new Float64Array(n);
    const J = new Float64Array(n * n);
    const d = new Float64Array(n);
    cell.denseJacobian?.(h, 0, x, 0, f, 0, J, 0);
    cell.diagonalJacobian?.(h, 0, x, 0, f, 0, d, 0);
    const eps = 1e-6;
    for (let j = 0; j < n; j++) {
      const hp = Float64Array.from(h);
      const hm = Float64Array.from(h);
      hp[j] += eps;
      hm[j] -= eps;
      const fp = gruReference(hp, x);
      const fm = gruReference(hm, x);
      for (let i = 0; i < n; i++) {
        const fd = (fp[i] - fm[i]) / (2 * eps);
        expect(J[i * n + j]).toBeCloseTo(fd, 7);
        if (i === j) expect(d[i]).toBeCloseTo(fd, 7);
      }
    }
  });

  it('rejects bad weights and bad arrays with typed errors naming the argument', () => {
    expect(() => flaxGruGpuCell({ hiddenSize: n, inputSize: m, wx: wx.subarray(1), wh })).toThrow(/wx/);
    const bad = (arrays: Record<string, ArrayLike<number>>, constants = {}) =>
      gpuCell({ stateSize: 1, inputSize: 0, constants, arrays, step: () => 0 });
    expect(() => bad({ w: [1, Number.NaN] })).toThrow(ShapeError);
    expect(() => bad({ w: [1, Number.NaN] })).toThrow(/arrays\.w\[1\]/);
    expect(() => bad({ w: [] })).toThrow(/arrays\.w/);
    expect(() => bad({ gcW: [1] })).toThrow(/reserved/);
    expect(() => bad({ w: [1] }, { w: 2 })).toThrow(/arrays\.w/);
  });
});

const device = probes.find((p) => p.ran);
describe(`flaxGruGpuCell on gpu.js: ${device?.mode ?? 'no mode runs here'}`, () => {
  let backend: GpuJsBackend | undefined;
  const get = async () => {
    backend ??= await createGpuJsBackend({ mode: device?.mode });
    return backend;
  };
  afterAll(async () => backend?.dispose());
  const B = 2;
  const T = 40;
  const inputs = random(5, B * T * m, 1.5);

  /** Independent float64 sequential loop of the reference formula, zero h0. */
  function sequential(): Float64Array {
    const out = new Float64Array(B * T * n);
    for (let b = 0; b < B; b++) {
      let h: ArrayLike<number> = new Float64Array(n);
      for (let t = 0; t < T; t++) {
        h = gruReference(h, inputs.subarray((b * T + t) * m, (b * T + t + 1) * m));
        out.set(h, (b * T + t) * n);
      }
    }
    return out;
  }

  it.runIf(device)('evaluate: f, diagonal and dense Jacobian equal the CPU Cell (float32)', async () => {
    const states = random(6, B * T * n, 0.9);
    const r = await cell.evaluate((await get()).gpu, { batch: B, length: T, states, inputs });
    const f = new Float64Array(n);
    const d = new Float64Array(n);
    const J = new Float64Array(n * n);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const prev = t === 0 ? new Float32Array(n) : states.subarray((b * T + t - 1) * n, (b * T + t) * n);
        const row = b * T + t;
        cell.diagonalJacobian?.(prev, 0, inputs, row * m, f, 0, d, 0);
        cell.denseJacobian?.(prev, 0, inputs, row * m, f, 0, J, 0);
        for (let i = 0; i < n; i++) {
          expect(Math.abs(r.f[row * n + i] - f[i])).toBeLessThan(2e-6);
          expect(Math.abs((r.diagonal?.[row * n + i] ?? Number.NaN) - d[i])).toBeLessThan(1e-5);
        }
        for (let k = 0; k < n * n; k++)
          expect(Math.abs((r.jacobian?.[row * n * n + k] ?? Number.NaN) - J[k])).toBeLessThan(1e-5);
      }
  });

  it.runIf(device)(
    'quasi-DEER and DEER converge to the sequential loop; the compiled plan is reused',
    async () => {
      const b = await get();
      const ref = sequential();
      for (const method of ['quasi-deer', 'deer'] as const) {
        const opts = { method, dtype: 'float32', batch: B, atol: 1e-6, rtol: 1e-5 } as const;
        const first = await b.solveOnDevice(cell, inputs, opts);
        const builds = b.devicePlans?.builds;
        const again = await b.solveOnDevice(cell, inputs, opts);
        expect(b.devicePlans?.builds).toBe(builds);
        expect(first?.converged).toBe(true);
        expect(Array.from(again?.states ?? [])).toEqual(Array.from(first?.states ?? []));
        let err = 0;
        for (let k = 0; k < ref.length; k++) err = Math.max(err, Math.abs((first?.states[k] ?? 0) - ref[k]));
        expect(err).toBeLessThan(1e-5);
      }
    },
  );
});
