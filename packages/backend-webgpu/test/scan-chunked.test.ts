/**
 * The chunked (parallel in T) dense, block and diagonal scans, the sequential fallback, time windows
 * and the subgroup carry kernel, each against a float64 sequential loop written here.
 */
import { ShapeError, type Structure } from '@antler/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readBack, storageBuffer } from '../src/gpu-context.js';
import {
  createWebGpuBackend,
  encodeAffineScan,
  planScan,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from '../src/index.js';
import { testBackend } from './gpu.js';

/** s_t = op(A_t) s_{t∓1} + b_t in float64, one plain loop per sequence; op = transpose when asked. */
function referenceScan(
  structure: Structure,
  K: number,
  B: number,
  T: number,
  n: number,
  a: Float32Array,
  b: Float32Array,
  s0: Float32Array,
  reverse: boolean,
  transpose: boolean,
): Float64Array {
  const step = structure === 'dense' ? n * n : structure === 'block' ? n * K : n;
  const out = new Float64Array(B * T * n);
  const s = new Float64Array(n);
  const next = new Float64Array(n);
  for (let q = 0; q < B; q++) {
    for (let i = 0; i < n; i++) s[i] = s0[q * n + i];
    for (let j = 0; j < T; j++) {
      const t = reverse ? T - 1 - j : j;
      const ao = (q * T + t) * step;
      for (let i = 0; i < n; i++) {
        let acc = b[(q * T + t) * n + i];
        if (structure === 'diagonal') acc += a[ao + i] * s[i];
        else if (structure === 'dense')
          for (let k = 0; k < n; k++) acc += (transpose ? a[ao + k * n + i] : a[ao + i * n + k]) * s[k];
        else {
          const blk = Math.floor(i / K);
          const r = i % K;
          const bo = ao + blk * K * K;
          for (let c = 0; c < K; c++)
            acc += (transpose ? a[bo + c * K + r] : a[bo + r * K + c]) * s[blk * K + c];
        }
        next[i] = acc;
      }
      s.set(next);
      out.set(s, (q * T + t) * n);
    }
  }
  return out;
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Case {
  structure: Structure;
  K: number;
  B: number;
  T: number;
  n: number;
  reverse?: boolean;
  transpose?: boolean;
}

/** Runs one case on `gpu` and returns max |x − ref| / (1 + |ref|) and the finite flag. */
async function runCase(gpu: WebGpuBackend, c: Case, seed = 7): Promise<{ err: number; finite: boolean }> {
  const { structure, K, B, T, n } = c;
  const step = structure === 'dense' ? n * n : structure === 'block' ? n * K : n;
  const rand = lcg(seed);
  // Contractive operators keep states O(1) over any length.
  const scale = structure === 'diagonal' ? 0.99 : 0.9 / Math.sqrt(structure === 'dense' ? n : K);
  const a = Float32Array.from({ length: B * T * step }, () => (2 * rand() - 1) * scale);
  const b = Float32Array.from({ length: B * T * n }, () => 2 * rand() - 1);
  const s0 = Float32Array.from({ length: B * n }, () => 2 * rand() - 1);
  const out = new Float32Array(B * T * n);
  const report = await gpu.affineScan({
    structure,
    blockSize: structure === 'block' ? K : undefined,
    batch: B,
    length: T,
    size: n,
    a: { data: a },
    b: { data: b },
    s0: { data: s0 },
    out: { data: out },
    reverse: c.reverse,
    transpose: c.transpose,
  });
  const ref = referenceScan(structure, K, B, T, n, a, b, s0, !!c.reverse, !!c.transpose);
  let err = 0;
  for (let i = 0; i < ref.length; i++)
    err = Math.max(err, Math.abs(out[i] - ref[i]) / (1 + Math.abs(ref[i])));
  return { err, finite: report.finite };
}

const base = await testBackend();
const reason = typeof base === 'string' ? base : '';
const opened: WebGpuBackend[] = [];
/** A backend on the same adapter as the shared test backend, with scan options. */
async function backendWith(options: WebGpuBackendOptions): Promise<WebGpuBackend> {
  const gpu = await createWebGpuBackend({
    ...(process.env.ANTLER_WEBGPU_NATIVE
      ? {}
      : { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' }),
    ...options,
  });
  opened.push(gpu);
  return gpu;
}
afterAll(() => {
  for (const g of opened) g.dispose();
});

const TOL = 1e-4;

describe('planScan (pure)', () => {
  const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };
  it('picks registers for k ≤ 4, tiles for larger blocks, the walk over t when nothing else fits', () => {
    expect(planScan('block', 2, 16, 1e6, 64, limits).kernel).toBe('small');
    expect(planScan('dense', 3, 1, 100, 3, limits).kernel).toBe('small');
    expect(planScan('dense', 8, 16, 1e6, 8, limits).kernel).toBe('tiled');
    expect(planScan('dense', 32, 16, 1e6, 32, limits).kernel).toBe('tiled');
    // Phase 1 staged in workgroup memory where 2K² + 2K floats fit, else read through the cache; 4×4
    // register tiles only on request and only for K = 4m ≥ 16.
    expect(planScan('dense', 32, 16, 1e6, 32, limits).aggregate).toBe('staged');
    expect(planScan('dense', 8, 16, 1e6, 8, limits).aggregate).toBe('staged');
    expect(planScan('dense', 48, 16, 1e6, 48, limits).aggregate).toBe('column');
    expect(planScan('dense', 32, 16, 1e6, 32, limits, 'chunked', 99, 'gemm').aggregate).toBe('gemm');
    expect(planScan('dense', 17, 16, 1e6, 17, limits, 'chunked', 99, 'gemm').aggregate).toBe('staged');
    expect(planScan('dense', 17, 16, 1e6, 17, limits, 'chunked', 99, 'column').aggregate).toBe('column');
    // 64² + 64 floats do not fit 16 KiB of workgroup memory: sequential fallback.
    expect(planScan('dense', 64, 16, 1e6, 64, limits).kernel).toBe('sequential');
    expect(planScan('dense', 8, 16, 1e6, 8, limits, 'sequential').kernel).toBe('sequential');
    expect(() => planScan('dense', 512, 1, 10, 512, limits)).toThrow(ShapeError);
  });
  it('chunks cover T exactly, never exceed T, and respect maxChunks', () => {
    for (const T of [1, 2, 7, 97, 1000, 65537, 1e6]) {
      for (const [s, K, n] of [
        ['diagonal', 1, 4],
        ['block', 2, 8],
        ['dense', 8, 8],
      ] as const) {
        const p = planScan(s, K, 3, T, n, limits, 'chunked', 50);
        expect(p.C).toBeLessThanOrEqual(Math.min(T, 50));
        expect((p.C - 1) * p.L).toBeLessThan(T);
        expect(p.C * p.L).toBeGreaterThanOrEqual(T);
      }
    }
  });
});

describe.skipIf(typeof base === 'string')(
  `chunked WebGPU scans vs float64 loops${reason ? ` (skipped: ${reason})` : ''}`,
  () => {
    it('dense n ∈ {2, 3, 8}: T prime ≫ chunk, batch 3, forward/reverse/transpose', async () => {
      const gpu = await backendWith({ scanMaxChunks: 23 });
      for (const n of [2, 3, 8])
        for (const [reverse, transpose] of [
          [false, false],
          [true, true],
          [false, true],
        ]) {
          const r = await runCase(gpu, { structure: 'dense', K: n, B: 3, T: 1009, n, reverse, transpose });
          expect(r.finite).toBe(true);
          expect(r.err, `n=${n} reverse=${reverse} transpose=${transpose}`).toBeLessThanOrEqual(TOL);
        }
    });

    it('dense n ∈ {16, 20, 32}: multi-step chunks, batch 2, reverse/transpose', async () => {
      const gpu = await backendWith({ scanMaxChunks: 13 });
      for (const [n, T, reverse] of [
        [16, 307, false],
        [20, 211, true],
        [32, 131, true],
      ] as const) {
        const r = await runCase(gpu, { structure: 'dense', K: n, B: 2, T, n, reverse, transpose: reverse });
        expect(r.finite).toBe(true);
        expect(r.err, `n=${n} reverse=${reverse}`).toBeLessThanOrEqual(TOL);
      }
    });

    it('every phase-1 variant of the tiled kernels (column, staged, gemm) agrees with the loop', async () => {
      for (const variant of ['column', 'staged', 'gemm'] as const) {
        const gpu = await backendWith({ scanMaxChunks: 11, scanTiledAggregate: variant });
        for (const [n, T] of [
          [8, 97],
          [16, 83],
          [12, 61],
        ] as const) {
          const r = await runCase(gpu, { structure: 'dense', K: n, B: 2, T, n, transpose: n === 12 });
          expect(r.err, `${variant} n=${n}`).toBeLessThanOrEqual(TOL);
        }
        const r = await runCase(gpu, { structure: 'block', K: 6, B: 2, T: 89, n: 18, reverse: true });
        expect(r.err, `${variant} block k=6`).toBeLessThanOrEqual(TOL);
      }
    });

    it('block k ∈ {2, 3, 5}: many chunks and carry segments, batch 2, reverse + transpose', async () => {
      // 300 chunks: each of the 64 carry threads composes a segment of ≥ 4 chunk maps.
      const gpu = await backendWith({ scanMaxChunks: 300 });
      for (const k of [2, 3, 5])
        for (const reverse of [false, true]) {
          const r = await runCase(gpu, {
            structure: 'block',
            K: k,
            B: 2,
            T: 1201,
            n: 4 * k,
            reverse,
            transpose: reverse,
          });
          expect(r.finite).toBe(true);
          expect(r.err, `k=${k} reverse=${reverse}`).toBeLessThanOrEqual(TOL);
        }
    });

    it('default chunking (one step per chunk at this size) and T = 1', async () => {
      const gpu = base as WebGpuBackend;
      for (const c of [
        { structure: 'dense', K: 8, B: 2, T: 509, n: 8 },
        { structure: 'block', K: 2, B: 4, T: 331, n: 6 },
        { structure: 'dense', K: 3, B: 1, T: 1, n: 3 },
      ] as Case[]) {
        const r = await runCase(gpu, c);
        expect(r.err, JSON.stringify(c)).toBeLessThanOrEqual(TOL);
      }
    });

    it('the sequential-in-T kernels (scanAlgorithm: sequential) agree with the same loop', async () => {
      const gpu = await backendWith({ scanAlgorithm: 'sequential' });
      for (const c of [
        { structure: 'dense', K: 8, B: 2, T: 301, n: 8, reverse: true },
        { structure: 'block', K: 3, B: 2, T: 211, n: 9, transpose: true },
      ] as Case[]) {
        const r = await runCase(gpu, c);
        expect(r.err, JSON.stringify(c)).toBeLessThanOrEqual(TOL);
      }
    });

    it('time windows under a small buffer budget carry the state across windows (dense, block, diagonal)', async () => {
      // 4 KiB per buffer: dense n=3, B=2 → 56 steps per window, so T = 401 runs in 8 windows.
      const gpu = await backendWith({ scanBufferBytes: 4096, scanMaxChunks: 7 });
      for (const c of [
        { structure: 'dense', K: 3, B: 2, T: 401, n: 3, reverse: true, transpose: true },
        { structure: 'block', K: 2, B: 2, T: 397, n: 4 },
        { structure: 'diagonal', K: 1, B: 3, T: 389, n: 5, reverse: true },
        { structure: 'dense', K: 8, B: 1, T: 53, n: 8 },
      ] as Case[]) {
        const r = await runCase(gpu, c);
        expect(r.finite).toBe(true);
        expect(r.err, JSON.stringify(c)).toBeLessThanOrEqual(TOL);
      }
    });

    it('a budget below one time step of the batch is a ShapeError naming a', async () => {
      const gpu = await backendWith({ scanBufferBytes: 64 });
      await expect(runCase(gpu, { structure: 'dense', K: 8, B: 1, T: 4, n: 8 })).rejects.toThrow(ShapeError);
    });

    it('encodeAffineScan on GPU-resident buffers (dense n = 8, tiled) matches the loop', async () => {
      const gpu = base as WebGpuBackend;
      const d = gpu.context.device;
      const [B, T, n] = [2, 157, 8];
      const rand = lcg(5);
      const a = Float32Array.from({ length: B * T * n * n }, () => ((2 * rand() - 1) * 0.9) / Math.sqrt(n));
      const b = Float32Array.from({ length: B * T * n }, () => 2 * rand() - 1);
      const s0 = Float32Array.from({ length: B * n }, () => 2 * rand() - 1);
      const bufs = {
        a: storageBuffer(d, a.byteLength, a),
        b: storageBuffer(d, b.byteLength, b),
        s0: storageBuffer(d, s0.byteLength, s0),
        out: storageBuffer(d, b.byteLength),
      };
      const enc = d.createCommandEncoder();
      const pass = enc.beginComputePass();
      const e = encodeAffineScan(gpu.context, pass, { structure: 'dense', K: n, B, T, n }, bufs, {
        maxChunks: 9,
      });
      pass.end();
      const out = new Float32Array(await readBack(d, bufs.out, b.byteLength, enc));
      for (const x of [...e.scratch, ...Object.values(bufs)]) x.destroy();
      expect(e.plan.kernel).toBe('tiled');
      expect(e.plan.C).toBe(9);
      const ref = referenceScan('dense', n, B, T, n, a, b, s0, false, false);
      let err = 0;
      for (let i = 0; i < ref.length; i++)
        err = Math.max(err, Math.abs(out[i] - ref[i]) / (1 + Math.abs(ref[i])));
      expect(err).toBeLessThanOrEqual(TOL);
    });

    it('a NaN in one dense operator is reported (finite: false), not hidden', async () => {
      const gpu = await backendWith({ scanMaxChunks: 5 });
      const n = 3;
      const T = 40;
      const a = new Float32Array(T * n * n).fill(0.1);
      a[17 * n * n + 4] = Number.NaN;
      const out = new Float32Array(T * n);
      const rep = await gpu.affineScan({
        structure: 'dense',
        batch: 1,
        length: T,
        size: n,
        a: { data: a },
        b: { data: new Float32Array(T * n).fill(1) },
        out: { data: out },
      });
      expect(rep.finite).toBe(false);
      expect(Number.isNaN(out[T * n - 1])).toBe(true);
      expect(Number.isFinite(out[16 * n])).toBe(true);
    });
  },
);

const sub = typeof base === 'string' ? false : base.context.device.features.has('subgroups');
const subReason =
  typeof base === 'string'
    ? reason
    : 'this adapter has no `subgroups` feature (llvmpipe through OpenGL has none)';
describe.skipIf(!sub)(`subgroup carry kernel (diagonal)${sub ? '' : ` — skipped: ${subReason}`}`, () => {
  it('subgroup and workgroup-memory carry kernels both match the float64 loop', async () => {
    for (const subgroups of [true, false]) {
      const gpu = await backendWith({ subgroups, scanMaxChunks: 1000 });
      const r = await runCase(gpu, { structure: 'diagonal', K: 1, B: 3, T: 5003, n: 7, reverse: true });
      expect(r.err, `subgroups=${subgroups}`).toBeLessThanOrEqual(TOL);
    }
  });
});
