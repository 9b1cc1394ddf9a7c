/**
 * The three-dispatch (latency) quasi-DEER loop against the five-dispatch (throughput) loop and an
 * independent float64 GRU loop: same stopping decisions, iteration counts and history; iterates equal up
 * to float32 rounding of the carries.
 */
import type { Cell } from '@antler/core';
import { createGru } from '@antler/zoo';
import { describe, expect, it } from 'vitest';
import { DeviceProblem, type FusedSolveStats, packGru } from '../src/index.js';
import { chunking, LATENCY_PATH_MAX_PARTIALS, latencyPath, MIN_CHUNK_STEPS } from '../src/device-problem.js';
import { testBackend } from './gpu.js';

const backend = await testBackend();
const why = typeof backend === 'string' ? backend : '';
const skip = why ? ` — skipped: ${why}` : '';

/** Deterministic N(0, 1) inputs (Box–Muller on a small LCG). */
function normals(len: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** Independent float64 loop of the Flax GRU (h' = (1 − z) ñ + z h, b_hn inside r ⊙ (…)). */
function gru64(cell: Cell, x: Float32Array, B: number, T: number): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const P = cell.parameters ?? {};
  const wih = P.weight_ih_l0.data;
  const whh = P.weight_hh_l0.data;
  const bih = P.bias_ih_l0?.data;
  const bhn = P.bias_hh_l0?.data;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const out = new Float64Array(B * T * n);
  for (let b = 0; b < B; b++) {
    let h = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const xo = (b * T + t) * m;
      const pre = (row: number) => {
        let v = bih ? bih[row] : 0;
        for (let k = 0; k < m; k++) v += wih[row * m + k] * x[xo + k];
        return v;
      };
      const rec = (row: number) => {
        let v = 0;
        for (let k = 0; k < n; k++) v += whh[row * n + k] * h[k];
        return v;
      };
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const r = sig(pre(i) + rec(i));
        const z = sig(pre(n + i) + rec(n + i));
        const c = Math.tanh(pre(2 * n + i) + r * (rec(2 * n + i) + (bhn ? bhn[i] : 0)));
        next[i] = (1 - z) * c + z * h[i];
      }
      h = next;
      out.set(h, (b * T + t) * n);
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = d;
  }
  return e;
}

/**
 * A starting trajectory whose sequences need different iteration counts: sequence b < `noise.length` the
 * float64 solution plus noise[b] times N(0, 1) noise, the others zeros.
 */
function spreadGuess(ref: Float64Array, B: number, T: number, n: number, noise: number[]): Float32Array {
  const g = new Float32Array(B * T * n);
  const z = normals(T * n, 31);
  for (let b = 0; b < Math.min(B, noise.length); b++)
    for (let j = 0; j < T * n; j++) g[b * T * n + j] = ref[b * T * n + j] + noise[b] * z[j];
  return g;
}

async function solveBoth(
  cell: Cell,
  x: Float32Array,
  B: number,
  T: number,
  settings: { atol: number; rtol: number; maxIter: number; checkEvery: number },
  guess: Float32Array | null = null,
): Promise<{ loop: 'latency' | 'throughput'; stats: FusedSolveStats; states: Float32Array }[]> {
  if (typeof backend === 'string') throw new Error(why);
  const w = packGru(cell);
  if (!w) throw new Error('not a GRU');
  const h0 = new Float32Array(B * cell.stateSize);
  const out: { loop: 'latency' | 'throughput'; stats: FusedSolveStats; states: Float32Array }[] = [];
  for (const loop of ['throughput', 'latency'] as const) {
    const p = DeviceProblem.create(backend.context, w, B, T, x, h0, guess);
    try {
      const stats = await p.solve('quasi-deer', { ...settings, loop });
      out.push({ loop, stats, states: await p.readStates() });
    } finally {
      p.destroy();
    }
  }
  return out;
}

describe('three-dispatch (latency) quasi-DEER loop', () => {
  // n = 8 runs the GRU's vec4 kernels, n = 6 the generic scalar ones. T = 6000 with the default chunking
  // gives 1200 chunks of 5 steps, so each of the 256 carry threads scans 5 chunks (a round of four and
  // one more) and each reducing thread folds 9 or 10 partial results (n = 8) of a sequence.
  for (const n of [8, 6]) {
    it.skipIf(!!why)(
      `n = ${n}, loose tolerance: a sequence that stops keeps its last iterate in both buffers${skip}`,
      async () => {
        // At atol = rtol = 1e-3 the last updates are far larger than the carries' float32 rounding, so a
        // stopped sequence read back from the other ping-pong buffer (one update behind) would show.
        const B = 4;
        const T = 2100;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 8, variant: 'flax' });
        const x = normals(B * T * n, 19);
        const ref = gru64(cell, x, B, T);
        const [thr, lat] = await solveBoth(
          cell,
          x,
          B,
          T,
          { atol: 1e-3, rtol: 1e-3, maxIter: 200, checkEvery: 2 },
          spreadGuess(ref, B, T, n, [1e-4, 3e-3, 3e-2, 0.1]),
        );
        // Some sequence stops an odd number of updates before the end, so its final iterate sits in the
        // buffer that the read-back does not point at unless it was copied.
        expect(lat.stats.iterationsPerSequence.some((k) => (lat.stats.updates - k) % 2 === 1)).toBe(true);
        expect(new Set(lat.stats.iterationsPerSequence).size).toBeGreaterThan(2);
        expect(lat.stats.status).toEqual([1, 1, 1, 1]);
        expect(lat.stats.iterationsPerSequence).toEqual(thr.stats.iterationsPerSequence);
        expect(Math.max(...lat.stats.history.map((h) => h.maxStep))).toBeGreaterThan(1e-4);
        expect(maxAbsDiff(lat.states, thr.states)).toBeLessThan(1e-6);
      },
    );

    it.skipIf(!!why)(
      `n = ${n}: same stops, iterations and history as the five-dispatch loop; states = float64 loop${skip}`,
      async () => {
        if (typeof backend === 'string') return;
        // Seven storage buffers per kernel, or both loops would be the five-dispatch one.
        expect(backend.context.device.limits.maxStorageBuffersPerShaderStage).toBeGreaterThanOrEqual(7);
        const B = 4;
        const T = 6000;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 5, variant: 'flax' });
        const x = normals(B * T * n, 17);
        const ref = gru64(cell, x, B, T);
        const [thr, lat] = await solveBoth(
          cell,
          x,
          B,
          T,
          { atol: 1e-6, rtol: 1e-5, maxIter: 200, checkEvery: 3 },
          spreadGuess(ref, B, T, n, [0, 1e-3]),
        );
        // The sequences stop at different iterations, so the copy of a stopped sequence into the other
        // ping-pong buffer matters for what is read back.
        expect(new Set(lat.stats.iterationsPerSequence).size).toBeGreaterThan(1);
        expect(lat.stats.status).toEqual([1, 1, 1, 1]);
        expect(lat.stats.status).toEqual(thr.stats.status);
        expect(lat.stats.iterationsPerSequence).toEqual(thr.stats.iterationsPerSequence);
        expect(lat.stats.updates).toBe(thr.stats.updates);
        expect(lat.stats.readbacks).toBe(thr.stats.readbacks);
        expect(lat.stats.history.map((h) => [h.iteration, h.active])).toEqual(
          thr.stats.history.map((h) => [h.iteration, h.active]),
        );
        lat.stats.history.forEach((h, k) => {
          const ref = thr.stats.history[k];
          // Equal up to float32 rounding of the states (|s| ≲ 1).
          expect(Math.abs(h.maxResidual - ref.maxResidual)).toBeLessThanOrEqual(
            1e-4 * ref.maxResidual + 1e-6,
          );
          expect(Math.abs(h.maxStep - ref.maxStep)).toBeLessThanOrEqual(1e-4 * ref.maxStep + 1e-6);
        });
        expect(maxAbsDiff(lat.states, thr.states)).toBeLessThan(1e-6);
        expect(maxAbsDiff(lat.states, ref)).toBeLessThan(1e-5);
        expect(maxAbsDiff(thr.states, ref)).toBeLessThan(1e-5);
      },
    );
  }

  it.skipIf(!!why)(`an iteration limit is reported the same way by both loops${skip}`, async () => {
    const B = 3;
    const T = 400;
    const n = 8;
    const cell = createGru({ hiddenSize: n, inputSize: n, seed: 6, variant: 'flax' });
    const x = normals(B * T * n, 23);
    const [thr, lat] = await solveBoth(cell, x, B, T, {
      atol: 1e-7,
      rtol: 1e-7,
      maxIter: 4,
      checkEvery: 3,
    });
    expect(lat.stats.status).toEqual([0, 0, 0]);
    expect(thr.stats.status).toEqual([0, 0, 0]);
    expect(lat.stats.updates).toBe(4);
    expect(lat.stats.iterationsPerSequence).toEqual(thr.stats.iterationsPerSequence);
    expect(lat.stats.events.map((e) => e.kind)).toEqual(thr.stats.events.map((e) => e.kind));
    expect(lat.stats.history.length).toBe(thr.stats.history.length);
    // Residuals differ by float32 rounding of the states (|s| ≲ 1: a few 1e-8).
    for (let b = 0; b < B; b++)
      expect(
        Math.abs(lat.stats.residualPerSequence[b] - thr.stats.residualPerSequence[b]),
      ).toBeLessThanOrEqual(1e-6 + 1e-4 * thr.stats.residualPerSequence[b]);
    expect(maxAbsDiff(lat.states, thr.states)).toBeLessThan(1e-5);
  });

  it.skipIf(!!why)(
    `a non-finite input stops its sequence at the same update in both loops${skip}`,
    async () => {
      const B = 3;
      const T = 300;
      const n = 8;
      const cell = createGru({ hiddenSize: n, inputSize: n, seed: 7, variant: 'flax' });
      const x = normals(B * T * n, 29);
      x[(1 * T + 150) * n + 2] = Number.NaN;
      const [thr, lat] = await solveBoth(cell, x, B, T, {
        atol: 1e-6,
        rtol: 1e-5,
        maxIter: 100,
        checkEvery: 4,
      });
      expect(lat.stats.status).toEqual([1, 2, 1]);
      expect(lat.stats.status).toEqual(thr.stats.status);
      expect(lat.stats.iterationsPerSequence).toEqual(thr.stats.iterationsPerSequence);
      expect(lat.stats.events.filter((e) => e.kind === 'non-finite').map((e) => e.sequence)).toEqual([1]);
      const ref = gru64(cell, x, B, T);
      for (const b of [0, 2]) {
        const o = b * T * n;
        expect(maxAbsDiff(lat.states.subarray(o, o + T * n), ref.subarray(o, o + T * n))).toBeLessThan(1e-5);
      }
    },
  );

  it.skipIf(!!why)(
    `DEER with 1, 7, the default and T chunks per sequence: states = float64 loop, same stops${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      // n = 5 runs the register kernels, n = 13 the cooperative ones; the chunk-map scan loads ahead.
      for (const n of [5, 13]) {
        const B = 2;
        const T = 300;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 9, variant: 'flax' });
        const w = packGru(cell);
        if (!w) throw new Error('not a GRU');
        const x = normals(B * T * n, 37);
        const ref = gru64(cell, x, B, T);
        const h0 = new Float32Array(B * n);
        const p = DeviceProblem.create(backend.context, w, B, T, x, h0, null);
        try {
          const iterations: number[][] = [];
          for (const chunks of [1, 7, undefined, T]) {
            await p.resetToZeros(h0);
            const stats = await p.solve('deer', { atol: 1e-6, rtol: 1e-5, maxIter: 50, chunks });
            expect(stats.status).toEqual([1, 1]);
            iterations.push([...stats.iterationsPerSequence]);
            expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
          }
          // Newton on the exact Jacobians: the chunking changes rounding only, not the iteration count
          // by more than one.
          for (const it of iterations)
            for (let b = 0; b < B; b++) expect(Math.abs(it[b] - iterations[0][b])).toBeLessThanOrEqual(1);
        } finally {
          p.destroy();
        }
      }
    },
  );

  it('the default rule takes the latency loop while the repeated reductions stay small', () => {
    // B = 16, GRU (vec4): n = 8 and 32 at T = 1e4 … 1e6 take it (n = 32: 8.4M partials reduced), n = 64 not.
    for (const [n, T] of [
      [8, 1e4],
      [8, 1e5],
      [8, 1e6],
      [32, 1e4],
      [32, 1e5],
      [32, 1e6],
    ])
      expect(latencyPath(16, chunking(16, T, n / 4).C, n, 4)).toBe(true);
    expect(latencyPath(16, chunking(16, 1e5, 16).C, 64, 4)).toBe(false);
    expect(latencyPath(1, LATENCY_PATH_MAX_PARTIALS, 1, 1)).toBe(true);
    expect(latencyPath(1, LATENCY_PATH_MAX_PARTIALS + 1, 1, 1)).toBe(false);
  });

  it('chunks are at least MIN_CHUNK_STEPS long unless the target thread count asks for longer ones', () => {
    for (const [B, T, lanes] of [
      [16, 1e4, 2],
      [16, 1e5, 2],
      [4, 6000, 2],
      [1, 7, 8],
      [3, 301, 6],
    ]) {
      const { L, C } = chunking(B, T, lanes);
      expect(L * C).toBeGreaterThanOrEqual(T);
      expect(L * (C - 1)).toBeLessThan(T);
      expect(L).toBeGreaterThanOrEqual(Math.min(T, MIN_CHUNK_STEPS));
      expect(L).toBeLessThanOrEqual(
        Math.max(2 * MIN_CHUNK_STEPS - 1, Math.ceil((T * B * lanes) / (1 << 18))),
      );
    }
    expect(chunking(16, 1e4, 2)).toEqual({ L: 5, C: 2000 });
    expect(chunking(16, 1e5, 2)).toEqual({ L: 13, C: 7693 });
  });
});
