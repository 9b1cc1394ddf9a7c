/**
 * `antler bench --suite scan`: throughput of the CPU affine scans (GB/s, elements/s, GFLOP/s) for every
 * structure, algorithm, dtype and thread count, beside a `TypedArray.set` copy of the same byte volume
 * measured in the same run. Sizes: `--sizes "n=1,8;T=1e5,1e6;structure=diagonal,dense;dtype=float64;algo=sequential,threaded"`.
 */
import { availableParallelism } from 'node:os';
import type { DType, ScanBackend, Structure } from '@antler/core';
import { createCpuBackend, createThreadedBackend, type ThreadedScanBackend } from '@antler/scan';
import { measure, type Timing } from '../measure.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** Largest total bytes of one configuration's arrays (operators, offsets, output and scratch). */
const MEMORY_CAP = 1.5e9;

interface ScanSizes {
  /** Also time the Kalman smoother (sequential, parallel, threaded) on the same operators. */
  kalman: boolean;
  B: number[];
  T: number[];
  n: number[];
  structure: Structure[];
  dtype: DType[];
  algo: string[];
}

function parseSizes(spec: string | undefined, quick: boolean): ScanSizes {
  const threads = availableParallelism();
  const all = ['sequential', 'chunked', 'blelloch', 'threaded-1', 'threaded-2', `threaded-${threads}`];
  const sizes: ScanSizes = quick
    ? {
        kalman: true,
        B: [1],
        T: [1e3],
        n: [1, 8],
        structure: ['diagonal', 'dense'],
        dtype: ['float64'],
        algo: ['sequential', 'threaded-2'],
      }
    : {
        kalman: true,
        B: [1],
        T: [1e3, 1e4, 1e5, 1e6, 1e7],
        n: [1, 2, 8, 32, 64],
        structure: ['diagonal', 'block', 'dense'],
        dtype: ['float64', 'float32'],
        algo: all,
      };
  for (const part of (spec ?? '').split(';').filter(Boolean)) {
    const [key, value] = part.split('=');
    const items = (value ?? '').split(',').filter(Boolean);
    if (key === 'T' || key === 'n' || key === 'B') sizes[key] = items.map(Number);
    else if (key === 'structure') sizes.structure = items as Structure[];
    else if (key === 'dtype') sizes.dtype = items as DType[];
    else if (key === 'algo') sizes.algo = items;
    else if (key === 'kalman') sizes.kalman = items[0] !== '0' && items[0] !== 'false';
    else throw new Error(`--sizes: unknown key '${key}' (known: B, T, n, structure, dtype, algo, kalman)`);
  }
  sizes.algo = [...new Set(sizes.algo)];
  return sizes;
}

function sharedArray(dtype: DType, length: number): Float64Array | Float32Array {
  const bytes = length * (dtype === 'float64' ? 8 : 4);
  return dtype === 'float64'
    ? new Float64Array(new SharedArrayBuffer(bytes))
    : new Float32Array(new SharedArrayBuffer(bytes));
}

/** Operators with spectral radius < 1 and O(1) offsets, so the states stay finite at every length. */
function fill(a: Float64Array | Float32Array, b: Float64Array | Float32Array, scale: number): void {
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
  for (let i = 0; i < a.length; i++) a[i] = 2 * scale * rand();
  for (let i = 0; i < b.length; i++) b[i] = rand();
}

/**
 * Kalman smoother timings on the scan's operators (observations = offsets): sequential, the parallel
 * (associative-scan) form, and threaded for batches. Limited to ~1e10 flops per call.
 */
async function kalmanRows(
  ctx: BenchContext,
  cfg: { B: number; T: number; n: number; structure: Structure; dtype: DType },
  a: Float64Array | Float32Array,
  b: Float64Array | Float32Array,
  out: Float64Array | Float32Array,
  backendFor: (algo: string) => { backend: ScanBackend; threads: number },
): Promise<BenchRow[]> {
  const { B, T, n, structure, dtype } = cfg;
  const dense = structure === 'dense';
  const rows: BenchRow[] = [];
  const algos: [string, string][] = [
    ['sequential', 'sequential'],
    ['parallel', 'blelloch'],
  ];
  if (B > 1) algos.push(['threaded', `threaded-${availableParallelism()}`]);
  let seq: Timing | undefined;
  for (const [label, algo] of algos) {
    // Sequential ≈ 6n³ flops per step dense, the parallel form ≈ 10× that.
    const flops = B * T * (dense ? 6 * n ** 3 : 20 * n) * (label === 'parallel' ? 10 : 1);
    if (flops > 1e10) continue;
    const { backend, threads } = backendFor(algo);
    const args = {
      structure: structure as 'dense' | 'diagonal',
      batch: B,
      length: T,
      size: n,
      a: { data: a },
      b: { data: b },
      y: { data: b },
      processVariance: 1,
      observationVariance: 0.1,
      smooth: true,
      out: { data: out },
    };
    let finite = true;
    const timing = await measure(
      async () => {
        finite = (await backend.kalmanScan?.(args))?.finite === true && finite;
      },
      // The Kalman kernels are large functions: give the JIT two runs at least.
      { warmup: Math.max(2, ctx.warmup), repeats: ctx.repeats, budgetSeconds: 10 },
    );
    if (label === 'sequential') seq = timing;
    rows.push({
      suite: 'scan',
      name: `kalman-smoother-${structure}/${label}`,
      params: { T, n, dtype, structure, batch: B, algorithm: label, threads },
      timing,
      metrics: {
        stepsPerSecond: (B * T) / timing.median,
        speedupVsSequential: seq ? seq.median / timing.median : null,
        finite,
      },
    });
  }
  return rows;
}

export const scanSuite: BenchSuite = {
  name: 'scan',
  description:
    'CPU affine scans (diagonal, block k=2, dense): GB/s, elements/s and GFLOP/s per algorithm, dtype and thread count, against a TypedArray.set copy of the same bytes',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const sizes = parseSizes(ctx.sizes, ctx.quick);
    const rows: BenchRow[] = [];
    const threaded = new Map<number, ThreadedScanBackend>();
    const backendFor = (algo: string): { backend: ScanBackend; threads: number } => {
      if (algo.startsWith('threaded')) {
        const threads = Number(algo.split('-')[1] ?? availableParallelism());
        let be = threaded.get(threads);
        if (!be) {
          be = createThreadedBackend({ threads });
          threaded.set(threads, be);
        }
        return { backend: be, threads };
      }
      return {
        backend: createCpuBackend({ algorithm: algo as 'sequential' | 'chunked' | 'blelloch' }),
        threads: 1,
      };
    };
    const configs: { B: number; T: number; n: number; structure: Structure; dtype: DType }[] = [];
    for (const structure of sizes.structure)
      for (const dtype of sizes.dtype)
        for (const B of sizes.B)
          for (const n of sizes.n)
            for (const T of sizes.T) {
              if (structure === 'block' && n % 2 !== 0) continue;
              configs.push({ B, T, n, structure, dtype });
            }
    let done = 0;
    const total = configs.length * (sizes.algo.length + 1);
    try {
      for (const { B, T, n, structure, dtype } of configs) {
        const bpe = dtype === 'float64' ? 8 : 4;
        const aStep = structure === 'dense' ? n * n : structure === 'block' ? 2 * n : n;
        const bytes = B * T * (aStep + 2 * n) * bpe;
        if (bytes > MEMORY_CAP) {
          done += sizes.algo.length + 1;
          continue;
        }
        const a = sharedArray(dtype, B * T * aStep);
        const b = sharedArray(dtype, B * T * n);
        const out = sharedArray(dtype, B * T * n);
        fill(a, b, structure === 'dense' ? 0.9 / Math.sqrt(n) : structure === 'block' ? 0.6 : 0.99);
        const params = { T, n, dtype, structure, batch: B };
        // Baseline: copying half the scan's byte volume moves the same bytes (read + write).
        const src = new Uint8Array(new SharedArrayBuffer(Math.max(8, Math.floor(bytes / 2))));
        const dst = new Uint8Array(new SharedArrayBuffer(src.length));
        src.fill(1);
        ctx.progress(`memcpy T=${T} n=${n}`, done++, total);
        const copy = await measure(() => dst.set(src), { warmup: ctx.warmup, repeats: ctx.repeats });
        const memcpyGbps = (2 * src.length) / copy.median / 1e9;
        rows.push({
          suite: 'scan',
          name: 'memcpy/TypedArray.set',
          params: { ...params, bytes: 2 * src.length },
          timing: copy,
          metrics: { gbps: memcpyGbps },
        });
        const byAlgo = new Map<string, Timing>();
        for (const algo of sizes.algo) {
          ctx.progress(`${structure} ${dtype} T=${T} n=${n} ${algo}`, done++, total);
          // Blelloch keeps a second copy of the operators; Blelloch and chunked compose operators
          // (2·k³ flops per step and block): skip what would exceed the memory cap or ~1e10 flops.
          const composeFlops =
            2 * B * T * aStep * (structure === 'dense' ? n : structure === 'block' ? 2 : 1);
          if (algo === 'blelloch' && bytes + T * aStep * bpe > MEMORY_CAP) continue;
          if ((algo === 'blelloch' || algo === 'chunked') && composeFlops > 1e10) continue;
          const { backend, threads } = backendFor(algo);
          const args = {
            structure,
            blockSize: structure === 'block' ? 2 : undefined,
            batch: B,
            length: T,
            size: n,
            a: { data: a },
            b: { data: b },
            out: { data: out },
          };
          let finite = true;
          if (algo.startsWith('threaded')) {
            // Steady state, as in a solver's iterations: the workers' kernels are compiled by their own
            // JIT over the first calls (a compiler thread taking a core meanwhile), so run calls for
            // 0.3 s (at least two) before timing.
            const until = performance.now() + 300;
            for (let i = 0; i < 2 || performance.now() < until; i++) await backend.affineScan(args);
          }
          const timing = await measure(
            async () => {
              finite = (await backend.affineScan(args)).finite && finite;
            },
            { warmup: ctx.warmup, repeats: ctx.repeats, budgetSeconds: 10 },
          );
          byAlgo.set(algo, timing);
          const gbps = bytes / timing.median / 1e9;
          // Useful flops of the sequential recurrence: one multiply-add per operator entry per step.
          const flops = 2 * B * T * aStep;
          const seq = byAlgo.get('sequential');
          const one = byAlgo.get('threaded-1');
          rows.push({
            suite: 'scan',
            name: `${structure}-scan/${algo.replace(/-\d+$/, '')}`,
            params: { ...params, algorithm: algo.replace(/-\d+$/, ''), threads },
            timing,
            metrics: {
              gbps,
              elementsPerSecond: (B * T * n) / timing.median,
              gflops: flops / timing.median / 1e9,
              memcpyGbps,
              fractionOfMemcpy: gbps / memcpyGbps,
              speedupVsSequential: seq ? seq.median / timing.median : null,
              speedupVsThreaded1: one && algo.startsWith('threaded') ? one.median / timing.median : null,
              finite,
            },
          });
        }
        if (sizes.kalman && structure !== 'block') {
          rows.push(...(await kalmanRows(ctx, { B, T, n, structure, dtype }, a, b, out, backendFor)));
        }
      }
    } finally {
      for (const be of threaded.values()) await be.dispose();
    }
    return rows;
  },
};
