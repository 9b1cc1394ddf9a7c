/**
 * Fused GPU solves of every zoo cell kind the GPU knows, against an independent float64 loop over
 * `cell.step` and against the CPU solver's float32 solve (same convergence rule, iterations ±1).
 */
import type { Cell, Method } from '@antler/core';
import {
  createElman,
  createLorenz96,
  createLstm,
  createMinGru,
  createMinLstm,
  createParaGru,
  createParaLstm,
} from '@antler/zoo';
import { describe, expect, it } from 'vitest';
import {
  COOPERATIVE_FROM,
  cooperativeBytes,
  DeviceProblem,
  denseFits,
  packDeviceCell,
} from '../src/index.js';
import { testBackend } from './gpu.js';

const backend = await testBackend();
const why = typeof backend === 'string' ? backend : '';
if (why) console.warn(`backend-webgpu cell tests skipped: ${why}`);
const skip = why ? ` — skipped: ${why}` : '';

/** Deterministic N(0, 1) values (Box–Muller on a small LCG). */
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

/** The reference: a plain float64 loop s_t = f(s_{t−1}, x_t) over `cell.step`. */
function sequential64(cell: Cell, x: Float32Array, B: number, T: number, h0: Float32Array): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const out = new Float64Array(B * T * n);
  const x64 = Float64Array.from(x);
  const s = new Float64Array(n);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) s[i] = h0[b * n + i];
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * n;
      cell.step(s, 0, x64, (b * T + t) * m, out, o);
      s.set(out.subarray(o, o + n));
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

function maxAbs(a: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]));
  return e;
}

interface Case {
  readonly name: string;
  readonly make: () => Cell;
  readonly methods: readonly Method[];
}

/** n = state size; LSTMs of n = 16 run the cooperative DEER kernels (n ≥ 12). */
const CASES: readonly Case[] = [
  {
    name: 'elman/tanh n=8',
    make: () => createElman({ hiddenSize: 8, inputSize: 3, seed: 11 }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'elman/relu n=6',
    make: () => createElman({ hiddenSize: 6, inputSize: 2, seed: 12, nonlinearity: 'relu' }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'elman/tanh n=16',
    make: () => createElman({ hiddenSize: 16, inputSize: 4, seed: 13 }),
    methods: ['deer'],
  },
  {
    name: 'lstm n=8 (H=4)',
    make: () => createLstm({ hiddenSize: 4, inputSize: 3, seed: 14 }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'lstm n=16 (H=8)',
    make: () => createLstm({ hiddenSize: 8, inputSize: 4, seed: 15 }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'para-gru n=8',
    make: () => createParaGru({ hiddenSize: 8, inputSize: 3, seed: 16 }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'para-lstm n=8 (H=4)',
    make: () => createParaLstm({ hiddenSize: 4, inputSize: 3, seed: 17 }),
    methods: ['quasi-deer', 'deer', 'block-deer'],
  },
  {
    name: 'mingru n=6',
    make: () => createMinGru({ hiddenSize: 6, inputSize: 3, seed: 18 }),
    methods: ['quasi-deer', 'deer'],
  },
  {
    name: 'minlstm n=5',
    make: () => createMinLstm({ hiddenSize: 5, inputSize: 3, seed: 19 }),
    methods: ['quasi-deer', 'deer'],
  },
];

const RUNS = CASES.flatMap((c) => c.methods.map((method) => ({ ...c, method })));

describe.each(RUNS)('$name, $method on WebGPU', ({ make, method }) => {
  const cell = make();
  const n = cell.stateSize;
  const m = cell.inputSize;

  it.skipIf(!!why)(
    `converged states = float64 loop over cell.step (B = 3, T = 301, random h0)${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      const B = 3;
      const T = 301;
      const x = normals(B * T * m, 5);
      const h0 = normals(B * n, 6).map((v) => 0.5 * v);
      const ref = sequential64(cell, x, B, T, h0);
      const res = await backend.solveOnDevice(cell, x, {
        method,
        dtype: 'float32',
        batch: B,
        h0,
        atol: 1e-6,
        rtol: 1e-5,
      });
      if (!res) throw new Error(`solveOnDevice declined ${cell.kind} ${method}`);
      expect(res.method).toBe(method);
      expect(res.converged).toBe(true);
      expect(res.convergedPerSequence).toEqual([true, true, true]);
      expect(res.states).toBeInstanceOf(Float32Array);
      expect(res.history.length).toBe(res.iterations);
      // float32 bounds: quasi-DEER 1e-5; exact-Jacobian Newton 1e-6 per unit of state magnitude.
      const bound = method === 'quasi-deer' ? 1e-5 : 1e-6 * Math.max(1, maxAbs(ref));
      expect(maxAbsDiff(res.states, ref)).toBeLessThan(bound);
      expect(res.residual).toBeLessThanOrEqual(1e-6 + 1e-5 * maxAbs(ref));
    },
  );

  it.skipIf(!!why)(
    `same stopping rule as the CPU float32 solve: iterations ±1 per sequence, last step within tolerance${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      const { solveSync } = await import('@antler/solvers');
      const B = 3;
      const T = 400;
      const atol = 1e-5;
      const rtol = 1e-4;
      // Sequences of different difficulty: input scales 1, 0.1, 2.
      const x = normals(B * T * m, 21);
      for (let b = 0; b < B; b++) for (let k = b * T * m; k < (b + 1) * T * m; k++) x[k] *= [1, 0.1, 2][b];
      const opts = { method, dtype: 'float32', batch: B, atol, rtol } as const;
      const gpu = await backend.solveOnDevice(cell, x, opts);
      if (!gpu) throw new Error('declined');
      const cpu = solveSync(cell, x, opts);
      expect(cpu.converged).toBe(true);
      expect(gpu.converged).toBe(true);
      for (let b = 0; b < B; b++)
        expect(Math.abs(gpu.iterationsPerSequence[b] - cpu.iterationsPerSequence[b])).toBeLessThanOrEqual(1);
      expect(gpu.iterations).toBe(Math.max(...gpu.iterationsPerSequence));
      expect(gpu.history.at(-1)?.maxStep).toBeLessThanOrEqual(atol + rtol * maxAbs(gpu.states));
      expect(maxAbsDiff(gpu.states, cpu.states)).toBeLessThan(1e-4);
    },
  );

  it.skipIf(!!why)(
    `few long chunks, T not a multiple of the chunk length: solve and GPU sequential = float64 loop${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      const kernel = packDeviceCell(cell);
      if (!kernel) throw new Error('not packed');
      const B = 2;
      const T = 307; // prime: never a whole number of chunks
      const x = normals(B * T * m, 8);
      const h0 = normals(B * n, 9).map((v) => 0.5 * v);
      const ref = sequential64(cell, x, B, T, h0);
      // 64 target threads ⇒ few chunks of many steps, so rows are interleaved and the last chunk is short.
      const p = DeviceProblem.create(backend.context, kernel, B, T, x, h0, null, 64);
      try {
        expect(p.rows).toBeGreaterThan(T);
        const fm = method as 'quasi-deer' | 'deer' | 'block-deer';
        const stats = await p.solve(fm, { atol: 1e-6, rtol: 1e-5, maxIter: T });
        expect(stats.status).toEqual([1, 1]);
        expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
        await p.resetToZeros(h0);
        await p.runSequential();
        expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
      } finally {
        p.destroy();
      }
    },
  );
});

describe('what the fused GPU solve declines or reports', () => {
  it.skipIf(!!why)(`cells and methods it has no kernel for return null${skip}`, () => {
    if (typeof backend === 'string') return;
    const f32 = { dtype: 'float32' } as const;
    const x = new Float32Array(40);
    const lorenz = createLorenz96({ size: 5 });
    expect(
      backend.solveOnDevice(lorenz, new Float32Array(0), { ...f32, method: 'deer', length: 8 }),
    ).toBeNull();
    const elman = createElman({ hiddenSize: 4, inputSize: 2, seed: 1 });
    // block-DEER needs an exactly 2×2-block Jacobian; ELK and float64 never run fused.
    expect(backend.solveOnDevice(elman, x, { ...f32, method: 'block-deer', blockSize: 2 })).toBeNull();
    expect(backend.solveOnDevice(elman, x, { ...f32, method: 'elk' })).toBeNull();
    expect(backend.solveOnDevice(elman, x, { method: 'deer' })).toBeNull();
    const paraLstm = createParaLstm({ hiddenSize: 2, inputSize: 2, seed: 1 });
    expect(backend.solveOnDevice(paraLstm, x, { ...f32, method: 'block-deer', blockSize: 4 })).toBeNull();
    // A custom cell of a known kind name but other parameters is not mistaken for the zoo's.
    expect(backend.solveOnDevice({ ...elman, parameters: {} }, x, { ...f32, method: 'deer' })).toBeNull();
  });

  it.skipIf(!!why)(
    `dense DEER too wide for this device's workgroups is declined (CPU fallback), quasi-DEER and the wide sequential kernel still run${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      const lim = backend.context.device.limits;
      // The smallest cooperative size that does not fit: by workgroup memory or by threads.
      let n = COOPERATIVE_FROM;
      while (
        cooperativeBytes(n) <= lim.maxComputeWorkgroupStorageSize &&
        n <= lim.maxComputeInvocationsPerWorkgroup
      )
        n++;
      expect(denseFits(n, lim)).toBe(false);
      expect(denseFits(n - 1, lim)).toBe(true);
      const cell = createElman({ hiddenSize: n, inputSize: 2, seed: 5 });
      const B = 2;
      const T = 40;
      const x = normals(B * T * 2, 3);
      const opts = { dtype: 'float32', batch: B, atol: 1e-6, rtol: 1e-5 } as const;
      expect(backend.solveOnDevice(cell, x, { ...opts, method: 'deer' })).toBeNull();
      const ref = sequential64(cell, x, B, T, new Float32Array(B * n));
      const quasi = await backend.solveOnDevice(cell, x, { ...opts, method: 'quasi-deer' });
      expect(quasi?.converged).toBe(true);
      expect(maxAbsDiff(quasi?.states ?? [], ref)).toBeLessThan(1e-5);
      const kernel = packDeviceCell(cell);
      if (!kernel) throw new Error('not packed');
      const p = DeviceProblem.create(backend.context, kernel, B, T, x, new Float32Array(B * n), null);
      try {
        expect(p.structureOf('deer')).toBeNull();
        await expect(p.solve('deer', { atol: 1e-6, rtol: 1e-5, maxIter: 10 })).rejects.toThrow(/method/);
        // n > 64: the sequential kernel's threads own several components each.
        await p.runSequential();
        expect(maxAbsDiff(await p.readStates(), ref)).toBeLessThan(1e-5);
      } finally {
        p.destroy();
      }
    },
  );

  it.skipIf(!!why)(
    `solve() of @antler/solvers takes the fused path for a para-LSTM block-DEER solve${skip}`,
    async () => {
      if (typeof backend === 'string') return;
      const { solve } = await import('@antler/solvers');
      const cell = createParaLstm({ hiddenSize: 3, inputSize: 2, seed: 8 });
      const x = normals(2 * 150 * 2, 12);
      const opts = { method: 'block-deer', dtype: 'float32', batch: 2, atol: 1e-6, rtol: 1e-5 } as const;
      const gpu = await solve(cell, x, { ...opts, backend });
      const cpu = await solve(cell, x, opts);
      expect(gpu.backend).toBe('webgpu');
      expect(cpu.backend).not.toBe('webgpu');
      expect(gpu.converged).toBe(true);
      expect(Math.abs(gpu.iterations - cpu.iterations)).toBeLessThanOrEqual(1);
      expect(maxAbsDiff(gpu.states, sequential64(cell, x, 2, 150, new Float32Array(12)))).toBeLessThan(1e-5);
    },
  );

  it.skipIf(!!why)(`a divergent relu Elman is reported non-finite, never converged${skip}`, async () => {
    if (typeof backend === 'string') return;
    // Recurrent weights scaled far past stability: the trajectory overflows float32.
    const cell = createElman({ hiddenSize: 4, inputSize: 2, seed: 3, nonlinearity: 'relu', scale: 400 });
    const x = normals(2 * 200 * 2, 4).map(Math.abs);
    const res = await backend.solveOnDevice(cell, x, { method: 'quasi-deer', dtype: 'float32', batch: 2 });
    if (!res) throw new Error('declined');
    expect(res.converged).toBe(false);
    expect(res.events.some((e) => e.kind === 'non-finite' || e.kind === 'max-iterations')).toBe(true);
  });
});
