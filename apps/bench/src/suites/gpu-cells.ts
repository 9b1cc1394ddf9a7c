/**
 * The `gpu-cells` suite: fused WebGPU solves of every zoo cell kind the GPU knows (GRU, Elman, LSTM,
 * para-GRU, para-LSTM, minGRU, minLSTM) — per kind and method: time, iterations and max error against a
 * float64 loop over the zoo cell's own `step` (float32-rounded weights), beside the plain sequential
 * evaluation on the GPU and the float64 `cell.step` loop in Node (timed on a subset, extrapolated).
 * Inputs N(0, 1) with m = n, zero h0, float32, atol 1e-6, rtol 1e-5; n is the state size (LSTMs: H = n/2).
 */
import { performance } from 'node:perf_hooks';
import {
  batchGroupSize,
  createWebGpuBackend,
  DeviceProblem,
  type FusedMethod,
  packDeviceCell,
} from '@antler/backend-webgpu';
import type { Cell } from '@antler/core';
import {
  createElman,
  createGru,
  createLstm,
  createMinGru,
  createMinLstm,
  createParaGru,
  createParaLstm,
} from '@antler/zoo';
import { maxAbsDiff, median, normals, timedGroups } from './gpu.js';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** Cell kinds of the suite and how each is made at state size n (input size n). */
const CELLS: Record<string, (n: number) => Cell> = {
  'gru-flax': (n) => createGru({ hiddenSize: n, inputSize: n, seed: 0, variant: 'flax' }),
  'elman-tanh': (n) => createElman({ hiddenSize: n, inputSize: n, seed: 0 }),
  lstm: (n) => createLstm({ hiddenSize: n / 2, inputSize: n, seed: 0 }),
  'para-gru': (n) => createParaGru({ hiddenSize: n, inputSize: n, seed: 0 }),
  'para-lstm': (n) => createParaLstm({ hiddenSize: n / 2, inputSize: n, seed: 0 }),
  mingru: (n) => createMinGru({ hiddenSize: n, inputSize: n, seed: 0 }),
  minlstm: (n) => createMinLstm({ hiddenSize: n, inputSize: n, seed: 0 }),
};

/**
 * Methods timed per kind: quasi-DEER everywhere; DEER with the cell's exact structure (dense for GRU,
 * Elman, LSTM; diagonal for para-GRU; 2×2 blocks for para-LSTM). minGRU/minLSTM are affine in h, so
 * their quasi-DEER already is exact Newton (DEER would run the same kernels).
 */
function methodsOf(kind: string): FusedMethod[] {
  return kind.startsWith('min') ? ['quasi-deer'] : ['quasi-deer', 'deer'];
}

/** Sizes of the suite, from `--sizes` (`n=8,32;T=1e4,1e5;B=16;cells=lstm,elman-tanh;err=20000`) or `--quick`. */
export interface GpuCellsSizes {
  ns: number[];
  Ts: number[];
  B: number;
  cells: string[];
  /** Caps the float64 reference steps (default 1e5 for n ≤ 8, else 2e4). */
  errCap: number;
}

/** Parses the suite's `--sizes`. */
export function parseCellsSizes(ctx: BenchContext): GpuCellsSizes {
  const out: GpuCellsSizes = {
    ns: [8, 32],
    Ts: [1e4, 1e5],
    B: 16,
    cells: Object.keys(CELLS),
    errCap: Number.POSITIVE_INFINITY,
  };
  if (ctx.quick) return { ...out, ns: [8], Ts: [500], B: 2 };
  for (const part of (ctx.sizes ?? '').split(';').filter(Boolean)) {
    const [k, v] = part.split('=');
    const vals = v.split(',').map(Number);
    if (k === 'n') out.ns = vals;
    else if (k === 'T') out.Ts = vals;
    else if (k === 'B') out.B = vals[0];
    else if (k === 'cells') out.cells = v.split(',').filter((c) => c in CELLS);
    else if (k === 'err') out.errCap = vals[0];
  }
  return out;
}

/** Rounds a cell's parameters to float32 in place, so that the float64 reference uses the GPU's weights. */
function roundParameters(cell: Cell): void {
  for (const t of Object.values(cell.parameters ?? {}))
    for (let i = 0; i < t.data.length; i++) t.data[i] = Math.fround(t.data[i]);
}

/** float64 loop over `cell.step`: member b of inputs `[·][T][m]`, first `steps` steps, zero h0. */
function cellSequential64(cell: Cell, x: Float32Array, T: number, b: number, steps: number): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const out = new Float64Array(steps * n);
  const xs = Float64Array.from(x.subarray(b * T * m, (b * T + steps) * m));
  const s = new Float64Array(n);
  for (let t = 0; t < steps; t++) {
    cell.step(s, 0, xs, t * m, out, t * n);
    s.set(out.subarray(t * n, t * n + n));
  }
  return out;
}

function timing(samples: number[]) {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    repeats: samples.length,
    samples,
  };
}

export const gpuCellsSuite: BenchSuite = {
  name: 'gpu-cells',
  description:
    'Fused WebGPU quasi-DEER / DEER of every GPU zoo cell (GRU, Elman, LSTM, para-GRU, para-LSTM, minGRU, minLSTM): time, iterations, error vs float64 cell.step; GPU and Node sequential',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const gpu = await createWebGpuBackend(
      ctx.backend === 'webgpu-opengl'
        ? { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' }
        : {},
    );
    const adapter = gpu.adapter;
    ctx.log(`adapter: ${JSON.stringify(adapter)}`);
    const sizes = parseCellsSizes(ctx);
    const { B } = sizes;
    const rows: BenchRow[] = [];
    const total = sizes.Ts.length * sizes.ns.length * sizes.cells.length;
    let done = 0;
    try {
      for (const T of sizes.Ts)
        for (const n of sizes.ns)
          for (const kind of sizes.cells) {
            ctx.progress(`${kind} n=${n} T=${T}`, done++, total);
            const cell = CELLS[kind](n);
            roundParameters(cell);
            const kernel = packDeviceCell(cell);
            if (!kernel) throw new Error(`${kind}: no GPU kernel`);
            const m = cell.inputSize;
            const x = normals(B * T * m, 4321 + n);
            const h0 = new Float32Array(B * n);
            const G = batchGroupSize(gpu.context, B, T, n, kernel);
            const base = { cell: kernel.kind, n, m, T, B, dtype: 'float32', groups: Math.ceil(B / G) };
            const problems: DeviceProblem[] = [];
            try {
              for (let g0 = 0; g0 < B; g0 += G) {
                const Bg = Math.min(G, B - g0);
                problems.push(
                  DeviceProblem.create(
                    gpu.context,
                    kernel,
                    Bg,
                    T,
                    x.subarray(g0 * T * m, (g0 + Bg) * T * m),
                    h0.subarray(0, Bg * n),
                    null,
                  ),
                );
              }
              // Error reference and Node baseline: member 0, first errSteps steps.
              const errSteps = Math.min(T, sizes.errCap, n <= 8 ? 100_000 : 20_000);
              const cpu0 = performance.now();
              const ref = cellSequential64(cell, x, T, 0, errSteps);
              const cpuSec = (performance.now() - cpu0) / 1000;
              for (const method of methodsOf(kind)) {
                const structure = problems[0].structureOf(method);
                const samples: number[] = [];
                let iters: number[] = [];
                let converged = true;
                let history: number[] = [];
                // Warm-up: ctx.warmup untimed solves and at least 0.3 s of them (pipelines, clocks).
                let warm = ctx.warmup;
                let warmSpent = 0;
                while (samples.length < ctx.repeats) {
                  for (const p of problems) await p.resetToZeros(h0.subarray(0, p.B * n));
                  iters = [];
                  converged = true;
                  const sec = await timedGroups(problems, async (p) => {
                    const s = await p.solve(method, { atol: 1e-6, rtol: 1e-5, maxIter: 500 });
                    iters.push(...s.iterationsPerSequence);
                    converged &&= s.status.every((v) => v === 1);
                    history = s.history.map((h) => h.maxResidual);
                  });
                  if (warm > 0 || (ctx.warmup > 0 && warmSpent < 0.3)) {
                    warm--;
                    warmSpent += sec;
                  } else samples.push(sec);
                }
                const got = await problems[0].readStates(0, 1);
                const err = maxAbsDiff(got, ref, errSteps * n);
                const t = timing(samples);
                rows.push({
                  suite: 'gpu-cells',
                  name: `${kind}/${method}/webgpu`,
                  params: { ...base, method, structure: structure ?? 'none', atol: 1e-6, rtol: 1e-5 },
                  timing: t,
                  metrics: {
                    iterationsMin: Math.min(...iters),
                    iterationsMax: Math.max(...iters),
                    converged,
                    maxErrVsFloat64: err,
                    errorSteps: errSteps,
                    errorMembers: 1,
                  },
                  series: { maxResidual: history },
                });
                ctx.log(
                  `${kind} ${method} (${structure}) n=${n} T=${T}: ${(t.median * 1e3).toFixed(2)} ms, iters ${Math.min(...iters)}-${Math.max(...iters)}, err ${err.toExponential(2)}${converged ? '' : ' NOT CONVERGED'}`,
                );
              }
              // The plain sequential evaluation on the GPU (one workgroup per sequence).
              const seq: number[] = [];
              const seqReps = Math.max(1, Math.min(ctx.repeats, 3));
              for (let r = 0; r <= seqReps; r++) {
                for (const p of problems) await p.resetToZeros(h0.subarray(0, p.B * n));
                const sec = await timedGroups(problems, (p) => p.runSequential());
                if (r > 0) seq.push(sec);
              }
              const seq0 = await problems[0].readStates(0, 1);
              rows.push({
                suite: 'gpu-cells',
                name: `${kind}/sequential/webgpu`,
                params: { ...base, method: 'sequential' },
                timing: timing(seq),
                metrics: { maxErrVsFloat64: maxAbsDiff(seq0, ref, errSteps * n), errorSteps: errSteps },
              });
              const scale = (B * T) / errSteps;
              rows.push({
                suite: 'gpu-cells',
                name: `${kind}/sequential/node-float64`,
                params: { ...base, method: 'sequential', timedSteps: errSteps, timedMembers: 1 },
                timing: timing([cpuSec * scale]),
                metrics: { measuredSeconds: cpuSec, extrapolated: scale !== 1, extrapolationFactor: scale },
              });
              ctx.log(
                `${kind} sequential n=${n} T=${T}: GPU ${(median(seq) * 1e3).toFixed(2)} ms, Node float64 ${(cpuSec * scale * 1e3).toFixed(0)} ms (×${scale.toFixed(0)} extrapolated)`,
              );
            } finally {
              for (const p of problems) p.destroy();
            }
          }
      ctx.progress('done', total, total);
    } finally {
      gpu.dispose();
    }
    return rows.map((r) => ({
      ...r,
      params: { ...r.params, adapter: `${adapter.vendor} ${adapter.architecture} ${adapter.device}` },
    }));
  },
};
