/**
 * `antler bench --suite solvers`: per cell, size and method, the iterations a solve needs and the cost of
 * one iteration relative to one sequential pass — both measured in the same run, on the same inputs —
 * plus wall time, speed-up over the sequential loop and the max error against it.
 * Sizes: `--sizes "cell=gru;n=8,32;T=1e3,1e4;B=1,4;method=deer,quasi-deer;dtype=float64"`.
 */
import { METHODS, type DType, type Method, type SolveResult } from '@antler/core';
import { createBestCpuBackend, createCpuBackend } from '@antler/scan';
import { runSequential, solveSync } from '@antler/solvers';
import { randomCell } from '@antler/zoo';
import { measure } from '../measure.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** Largest bytes of the per-iteration buffers (Jacobians dominate for dense methods). */
const MEMORY_CAP = 1e9;

interface SolverSizes {
  cell: string[];
  n: number[];
  T: number[];
  B: number[];
  method: Method[];
  dtype: DType[];
}

function parseSizes(spec: string | undefined, quick: boolean): SolverSizes {
  const sizes: SolverSizes = quick
    ? {
        cell: ['gru'],
        n: [4],
        T: [200],
        B: [2],
        method: ['jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk'],
        dtype: ['float64'],
      }
    : {
        cell: ['gru'],
        n: [8, 32],
        T: [1e3, 1e4],
        B: [1, 4],
        method: ['jacobi', 'deer', 'quasi-deer', 'block-deer', 'elk', 'quasi-elk'],
        dtype: ['float64', 'float32'],
      };
  for (const part of (spec ?? '').split(';').filter(Boolean)) {
    const [key, value] = part.split('=');
    const items = (value ?? '').split(',').filter(Boolean);
    if (key === 'cell') sizes.cell = items;
    else if (key === 'n' || key === 'T' || key === 'B') sizes[key] = items.map(Number);
    else if (key === 'method') {
      for (const m of items)
        if (!(METHODS as readonly string[]).includes(m)) throw new Error(`--sizes: unknown method '${m}'`);
      sizes.method = items as Method[];
    } else if (key === 'dtype') sizes.dtype = items as DType[];
    else throw new Error(`--sizes: unknown key '${key}' (use cell, n, T, B, method, dtype)`);
  }
  return sizes;
}

function bytesPerIteration(method: Method, B: number, T: number, n: number, dtype: DType): number {
  const el = dtype === 'float64' ? 8 : 4;
  const op = method === 'deer' || method === 'elk' ? n * n : method === 'block-deer' ? 2 * n : n;
  return B * T * (op + 5 * n) * el;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

/** The solvers suite. */
export const solversSuite: BenchSuite = {
  name: 'solvers',
  description:
    'iterations per method and the cost of one iteration relative to one sequential pass (same run, same inputs), speed-up and error vs the sequential loop',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const s = parseSizes(ctx.sizes, ctx.quick);
    const rows: BenchRow[] = [];
    const backend = ctx.backend
      ? ctx.backend === 'cpu'
        ? createBestCpuBackend()
        : createCpuBackend({ algorithm: ctx.backend as 'sequential' })
      : createBestCpuBackend();
    const configs: [string, number, number, number, DType][] = [];
    for (const cell of s.cell)
      for (const n of s.n)
        for (const T of s.T)
          for (const B of s.B) for (const dtype of s.dtype) configs.push([cell, n, T, B, dtype]);
    const total = configs.length * s.method.length;
    let done = 0;
    try {
      for (const [kind, n, T, B, dtype] of configs) {
        const cell = randomCell(kind, { hiddenSize: n, inputSize: n, seed: 1 });
        const m = cell.inputSize;
        let seed = 12345;
        const inputs = new Float64Array(B * T * m).map(() => {
          seed = (seed * 1103515245 + 12345) >>> 0;
          return (seed / 2 ** 32) * 2 - 1;
        });
        const x = dtype === 'float64' ? inputs : new Float32Array(inputs);
        // The plain sequential loop, in the same run: the unit the iteration cost is expressed in.
        const ns = cell.stateSize;
        const seqOut = dtype === 'float64' ? new Float64Array(B * T * ns) : new Float32Array(B * T * ns);
        const zeros = new Float64Array(ns);
        const seqTiming = await measure(
          () => {
            for (let b = 0; b < B; b++) runSequential(cell, T, zeros, 0, x, b * T * m, seqOut, b * T * ns);
          },
          { warmup: ctx.warmup, repeats: ctx.repeats },
        );
        const reference = solveSync(cell, inputs, { method: 'sequential', batch: B }).states;
        for (const method of s.method) {
          done++;
          ctx.progress(`${kind} n=${n} T=${T} B=${B} ${dtype} ${method}`, done, total);
          const params = { cell: kind, n, T, B, dtype, method, backend: backend.name };
          if (method === 'block-deer' && !cell.blockSize) {
            ctx.log(`solvers: skipping block-deer for ${kind} (no block Jacobian)`);
            continue;
          }
          if (bytesPerIteration(method, B, T, n, dtype) > MEMORY_CAP) {
            ctx.log(
              `solvers: skipping ${method} at n=${n}, T=${T}, B=${B} (buffers above ${MEMORY_CAP / 1e9} GB)`,
            );
            continue;
          }
          if (method === 'sequential') {
            rows.push({
              suite: 'solvers',
              name: `${kind}/${method}`,
              params,
              timing: seqTiming,
              metrics: {
                iterations: 1,
                iterationCostVsSequential: 1,
                speedupVsSequential: 1,
                maxError: 0,
                converged: true,
              },
            });
            continue;
          }
          let result: SolveResult | null = null;
          const maxIter = method === 'jacobi' ? T : Math.min(T, 200);
          const timing = await measure(
            () => {
              result = solveSync(cell, x, { method, batch: B, dtype, backend, maxIter });
            },
            { warmup: ctx.warmup, repeats: ctx.repeats },
          );
          const r = result as unknown as SolveResult;
          const perIteration = r.iterations > 0 ? timing.median / r.iterations : Number.NaN;
          rows.push({
            suite: 'solvers',
            name: `${kind}/${method}`,
            params,
            timing,
            metrics: {
              iterations: r.iterations,
              converged: r.converged,
              iterationCostVsSequential: perIteration / seqTiming.median,
              speedupVsSequential: seqTiming.median / timing.median,
              sequentialSeconds: seqTiming.median,
              maxError: maxAbsDiff(r.states, reference),
              residual: r.residual,
            },
            series: {
              maxResidual: r.history.map((h) => h.maxResidual),
              maxStep: r.history.map((h) => h.maxStep),
            },
          });
        }
      }
    } finally {
      await backend.dispose?.();
    }
    return rows;
  },
};
