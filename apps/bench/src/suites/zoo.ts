/**
 * `antler bench --suite zoo`: every zoo cell through every solver method at one default size —
 * wall time (median of repeats), iterations, convergence and max error against the sequential loop,
 * all measured in the same run. Sizes: `--sizes "kind=gru,lstm;method=deer,quasi-deer;H=8;T=1000;B=1;dtype=float64"`.
 */
import { type Cell, type DType, METHODS, type Method, type SolveResult } from '@antler/core';
import { solve } from '@antler/solvers';
import { CELL_KINDS, type CellKind, createRandom, randomCell } from '@antler/zoo';
import { measure } from '../measure.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

interface ZooSizes {
  kind: CellKind[];
  method: Method[];
  H: number;
  T: number;
  B: number;
  dtype: DType;
}

function parseSizes(spec: string | undefined, quick: boolean): ZooSizes {
  const sizes: ZooSizes = {
    kind: [...CELL_KINDS],
    method: [...METHODS],
    H: 8,
    T: quick ? 100 : 1000,
    B: 1,
    dtype: 'float64',
  };
  for (const part of (spec ?? '').split(';').filter(Boolean)) {
    const [key, value = ''] = part.split('=');
    const items = value.split(',').filter(Boolean);
    if (key === 'kind') {
      for (const k of items)
        if (!(CELL_KINDS as readonly string[]).includes(k))
          throw new Error(`--sizes: unknown kind '${k}' (known: ${CELL_KINDS.join(', ')})`);
      sizes.kind = items as CellKind[];
    } else if (key === 'method') {
      for (const m of items)
        if (!(METHODS as readonly string[]).includes(m))
          throw new Error(`--sizes: unknown method '${m}' (known: ${METHODS.join(', ')})`);
      sizes.method = items as Method[];
    } else if (key === 'H' || key === 'T' || key === 'B') {
      const v = Number(items[0]);
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`--sizes: ${key} must be a positive integer, got '${value}'`);
      sizes[key] = v;
    } else if (key === 'dtype') {
      if (items[0] !== 'float64' && items[0] !== 'float32')
        throw new Error(`--sizes: dtype must be float64 or float32, got '${value}'`);
      sizes.dtype = items[0];
    } else throw new Error(`--sizes: unknown key '${key}' (known: kind, method, H, T, B, dtype)`);
  }
  return sizes;
}

/** The cell of a kind at hidden size H (Lorenz-96: D = max(H, 8), forcing 8, dt 0.01), input size H. */
function benchCell(kind: CellKind, H: number): { cell: Cell; h0?: Float64Array } {
  if (kind === 'lorenz96') {
    const D = Math.max(H, 8);
    const cell = randomCell(kind, { hiddenSize: D, inputSize: 0 }, { size: D, forcing: 8, dt: 0.01 });
    // x_i = F + N(0, 1): generic, away from the unstable fixed point x_i = F (near it, a residual of
    // 1e-4 still means an O(1) trajectory error, which hides every method's real behaviour).
    const h0 = createRandom(7).fillNormal(new Float64Array(D), 8, 1);
    return { cell, h0 };
  }
  return { cell: randomCell(kind, { hiddenSize: H, inputSize: H, seed: 0 }, { variant: 'flax' }) };
}

/** Suite `zoo`: every cell × every method at one size, with errors against the sequential solve. */
export const zooSuite: BenchSuite = {
  name: 'zoo',
  description:
    'every zoo cell through every solver method at a default size: time, iterations, error vs sequential',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const sizes = parseSizes(ctx.sizes, ctx.quick);
    const { H, T, B, dtype } = sizes;
    const rows: BenchRow[] = [];
    const total = sizes.kind.length * sizes.method.length;
    let done = 0;
    for (const kind of sizes.kind) {
      const { cell, h0 } = benchCell(kind, H);
      const m = cell.inputSize;
      const inputs = m > 0 ? createRandom(1).fillNormal(new Float64Array(B * T * m)) : null;
      const typed = inputs && dtype === 'float32' ? Float32Array.from(inputs) : inputs;
      const base = { batch: B, length: T, dtype, h0: h0 && dtype === 'float32' ? Float32Array.from(h0) : h0 };
      let reference: SolveResult | undefined;
      let sequentialMedian: number | undefined;
      // Sequential first: it is the reference for the errors and the speed ratios.
      const methods = ['sequential' as Method, ...sizes.method.filter((x) => x !== 'sequential')];
      for (const method of methods) {
        const reported = sizes.method.includes(method);
        if (reported) ctx.progress(`${kind} ${method}`, done++, total);
        if (method === 'block-deer' && !cell.blockJacobian) continue;
        let result: SolveResult | undefined;
        let failure: string | undefined;
        const timing = await measure(
          async () => {
            try {
              result = await solve(cell, typed, { ...base, method });
            } catch (e) {
              failure = (e as Error).message;
            }
          },
          { warmup: ctx.warmup, repeats: ctx.repeats, budgetSeconds: 10 },
        );
        if (method === 'sequential') {
          reference = result;
          sequentialMedian = timing.median;
        }
        if (!reported) continue;
        let maxError: number | null = null;
        if (result && reference) {
          maxError = 0;
          for (let i = 0; i < reference.states.length; i++) {
            const e = Math.abs(result.states[i] - reference.states[i]);
            maxError = Number.isNaN(e) ? Number.POSITIVE_INFINITY : Math.max(maxError, e);
          }
        }
        if (failure) ctx.log(`zoo: ${kind}/${method} failed: ${failure}`);
        rows.push({
          suite: 'zoo',
          name: `${kind}/${method}`,
          params: { kind, method, n: cell.stateSize, m, T, batch: B, dtype },
          timing: failure ? undefined : timing,
          metrics: {
            iterations: result?.iterations ?? null,
            converged: result?.converged ?? false,
            maxError,
            speedupVsSequential: sequentialMedian && !failure ? sequentialMedian / timing.median : null,
            backend: result?.backend ?? null,
            error: failure ?? null,
          },
          series: result ? { maxResidual: result.history.map((r) => r.maxResidual) } : undefined,
        });
      }
    }
    ctx.progress('zoo', total, total);
    return rows;
  },
};
