import type { Cell } from '@antler/core';
import { createGru } from '@antler/zoo';
import { describe, expect, it } from 'vitest';
import { GruDeviceProblem, packGru } from '../src/index.js';
import { testBackend } from './gpu.js';

const backend = await testBackend();
const why = typeof backend === 'string' ? backend : '';
if (why) console.warn(`backend-webgpu GRU tests skipped: ${why}`);

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

/** Independent float64 GRU loop from the formula (weights read from the cell's PyTorch-named tensors). */
function sequential64(cell: Cell, x: Float32Array, B: number, T: number, h0?: Float32Array): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const P = cell.parameters ?? {};
  const wih = P.weight_ih_l0.data;
  const whh = P.weight_hh_l0.data;
  const bih = P.bias_ih_l0?.data;
  const bhh = P.bias_hh_l0?.data;
  const flax = bhh !== undefined && bhh.length === n;
  const out = new Float64Array(B * T * n);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  for (let b = 0; b < B; b++) {
    let h = Array.from({ length: n }, (_, i) => (h0 ? h0[b * n + i] : 0));
    for (let t = 0; t < T; t++) {
      const xo = (b * T + t) * m;
      const g = (row: number, withH: boolean) => {
        let v = 0;
        for (let k = 0; k < m; k++) v += wih[row * m + k] * x[xo + k];
        if (withH) for (let k = 0; k < n; k++) v += whh[row * n + k] * h[k];
        return v;
      };
      const next: number[] = [];
      for (let i = 0; i < n; i++) {
        const bi = (j: number) => (bih ? bih[j] : 0);
        const bh = (j: number) => (bhh && !flax ? bhh[j] : 0);
        const r = sig(g(i, true) + bi(i) + bh(i));
        const z = sig(g(n + i, true) + bi(n + i) + bh(n + i));
        let hn = bhh ? bhh[flax ? i : 2 * n + i] : 0;
        for (let k = 0; k < n; k++) hn += whh[(2 * n + i) * n + k] * h[k];
        const c = Math.tanh(g(2 * n + i, false) + bi(2 * n + i) + r * hn);
        next.push((1 - z) * c + z * h[i]);
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

describe('the GPU stops by the same rule as the CPU solvers', () => {
  // Convergence needs the residual AND the last step within atol + rtol·|s| (a small residual alone can
  // hide a large error where the dynamics amplify it). The CPU loop in @antler/solvers is the reference.
  for (const [method, n] of [
    ['quasi-deer', 8],
    ['quasi-deer', 6],
    ['deer', 5],
  ] as const) {
    it.skipIf(!!why)(
      `${method}, n = ${n}: last step within tolerance and iterations within ±1 of the CPU float32 solve${why ? ` — skipped: ${why}` : ''}`,
      async () => {
        if (typeof backend === 'string') return;
        const { solveSync } = await import('@antler/solvers');
        const B = 2;
        const T = 400;
        const atol = 1e-5;
        const rtol = 1e-4;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 3, variant: 'flax' });
        const x = normals(B * T * n, 21);
        const gpu = await backend.solveOnDevice(cell, x, { method, dtype: 'float32', batch: B, atol, rtol });
        if (!gpu) throw new Error('solveOnDevice declined a GRU');
        const cpu = solveSync(cell, x, { method, dtype: 'float32', batch: B, atol, rtol });
        expect(gpu.converged).toBe(true);
        expect(cpu.converged).toBe(true);
        let smax = 0;
        for (const v of gpu.states) smax = Math.max(smax, Math.abs(v));
        expect(gpu.history.at(-1)?.maxStep).toBeLessThanOrEqual(atol + rtol * smax);
        expect(Math.abs(gpu.iterations - cpu.iterations)).toBeLessThanOrEqual(1);
        expect(maxAbsDiff(gpu.states, cpu.states)).toBeLessThan(1e-4);
      },
    );
  }
});

describe('fused quasi-DEER GRU on WebGPU', () => {
  it.skipIf(!!why)(
    `chunk-interleaved layout with padded rows (long chunks, T not a multiple of L): quasi-DEER, DEER and sequential = float64 loop${why ? ` — skipped: ${why}` : ''}`,
    async () => {
      if (typeof backend === 'string') return;
      for (const n of [8, 3, 16]) {
        const B = 2;
        const T = 301;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 4, variant: 'pytorch' });
        const w = packGru(cell);
        if (!w) throw new Error('not packed');
        const x = normals(B * T * n, 8);
        const h0 = normals(B * n, 9);
        const ref = sequential64(cell, x, B, T, h0);
        // 64 target threads ⇒ few chunks of many steps, so rows are interleaved and the last chunk is short.
        const p = GruDeviceProblem.create(backend.context, w, B, T, x, h0, null, 64);
        try {
          expect(p.rows).toBeGreaterThan(T);
          for (const method of ['quasi-deer', 'deer'] as const) {
            await p.resetToZeros(h0);
            const stats = await p.solve(method, { atol: 1e-6, rtol: 1e-5, maxIter: 100 });
            expect(stats.status).toEqual([1, 1]);
            expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
          }
          await p.resetToZeros(h0);
          await p.runSequential();
          expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
        } finally {
          p.destroy();
        }
      }
    },
  );

  // n = 8 runs the four-units-per-thread (vec4) kernels, n = 6 the scalar ones.
  for (const [variant, n] of [
    ['flax', 8],
    ['pytorch', 6],
  ] as const) {
    it.skipIf(!!why)(
      `${variant} GRU: converged states = float64 sequential loop (n = ${n}, B = 3, T = 700)${why ? ` — skipped: ${why}` : ''}`,
      async () => {
        if (typeof backend === 'string') return;
        const B = 3;
        const T = 700;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 7, variant });
        const x = normals(B * T * n, 11);
        const h0 = normals(B * n, 5);
        const ref = sequential64(cell, x, B, T, h0);
        const res = await backend.solveOnDevice(cell, x, {
          method: 'quasi-deer',
          dtype: 'float32',
          batch: B,
          h0,
          atol: 1e-6,
          rtol: 1e-5,
        });
        if (!res) throw new Error('solveOnDevice declined a GRU');
        expect(res.converged).toBe(true);
        expect(res.convergedPerSequence).toEqual([true, true, true]);
        expect(res.states).toBeInstanceOf(Float32Array);
        expect(res.iterations).toBeGreaterThan(1);
        expect(res.iterations).toBeLessThan(60);
        expect(res.history.length).toBe(res.iterations);
        expect(res.history.at(-1)?.maxResidual).toBeLessThanOrEqual(res.history[0].maxResidual);
        expect(maxAbsDiff(res.states, ref)).toBeLessThan(2e-5);
        expect(res.residual).toBeLessThan(1e-5);
      },
    );
  }

  // n = 8, 5: one thread per chunk; n = 16, 13: the cooperative (workgroup per chunk) kernels.
  for (const n of [8, 5, 16, 13]) {
    it.skipIf(!!why)(
      `DEER (dense Jacobians) GRU n = ${n}: states = float64 loop in few iterations${why ? ` — skipped: ${why}` : ''}`,
      async () => {
        if (typeof backend === 'string') return;
        const B = 2;
        const T = 500;
        const cell = createGru({ hiddenSize: n, inputSize: n, seed: 9, variant: 'flax' });
        const x = normals(B * T * n, 21);
        const ref = sequential64(cell, x, B, T);
        const opts = { dtype: 'float32', batch: B, atol: 1e-6, rtol: 1e-5 } as const;
        const res = await backend.solveOnDevice(cell, x, { ...opts, method: 'deer' });
        if (!res) throw new Error('declined');
        expect(res.method).toBe('deer');
        expect(res.converged).toBe(true);
        expect(maxAbsDiff(res.states, ref)).toBeLessThan(1e-5);
        // Newton with the exact Jacobian needs far fewer iterations than quasi-DEER.
        const quasi = await backend.solveOnDevice(cell, x, { ...opts, method: 'quasi-deer' });
        expect(res.iterations).toBeLessThan(quasi?.iterations ?? 0);
        expect(res.iterations).toBeLessThanOrEqual(8);
      },
    );
  }

  it.skipIf(!!why)(
    `an iteration limit is reported as not converged, never hidden${why ? ` — skipped: ${why}` : ''}`,
    async () => {
      if (typeof backend === 'string') return;
      const cell = createGru({ hiddenSize: 4, inputSize: 4, seed: 3, variant: 'flax' });
      const x = normals(2 * 400 * 4, 2);
      const res = await backend.solveOnDevice(cell, x, {
        method: 'quasi-deer',
        dtype: 'float32',
        batch: 2,
        maxIter: 2,
      });
      if (!res) throw new Error('declined');
      expect(res.converged).toBe(false);
      expect(res.iterations).toBe(2);
      expect(res.events.filter((e) => e.kind === 'max-iterations').length).toBe(2);
      const ref = sequential64(cell, x, 2, 400);
      // After k Newton steps the first k states are exact (up to float32 rounding).
      expect(maxAbsDiff(res.states.subarray(0, 8), ref.subarray(0, 8))).toBeLessThan(1e-5);
    },
  );

  it.skipIf(!!why)(
    `declines what it cannot run on the device (float64, other methods, other cells)${why ? ` — skipped: ${why}` : ''}`,
    () => {
      if (typeof backend === 'string') return;
      const cell = createGru({ hiddenSize: 4, inputSize: 4, seed: 3 });
      const x = new Float32Array(40);
      expect(backend.solveOnDevice(cell, x, { method: 'quasi-deer' })).toBeNull();
      expect(backend.solveOnDevice(cell, x, { method: 'elk', dtype: 'float32' })).toBeNull();
      expect(backend.solveOnDevice(cell, x, { method: 'jacobi', dtype: 'float32' })).toBeNull();
      expect(backend.solveOnDevice(cell, x, { method: 'jacobi', dtype: 'float32' })).toBeNull();
      expect(
        backend.solveOnDevice({ ...cell, kind: 'elman' }, x, { method: 'quasi-deer', dtype: 'float32' }),
      ).toBeNull();
    },
  );

  it.skipIf(!!why)(`GPU sequential evaluation = float64 loop${why ? ` — skipped: ${why}` : ''}`, async () => {
    if (typeof backend === 'string') return;
    const n = 8;
    const B = 2;
    const T = 300;
    const cell = createGru({ hiddenSize: n, inputSize: n, seed: 1, variant: 'flax' });
    const w = packGru(cell);
    if (!w) throw new Error('not packed');
    const x = normals(B * T * n, 4);
    const p = GruDeviceProblem.create(backend.context, w, B, T, x, new Float32Array(B * n), null);
    await p.runSequential();
    const got = await p.readStates();
    p.destroy();
    expect(maxAbsDiff(got, sequential64(cell, x, B, T))).toBeLessThan(1e-5);
  });
});
