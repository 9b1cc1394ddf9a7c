/**
 * The `gpu` suite: the fused quasi-DEER GRU solve on WebGPU against the JAX reference on the same kind of
 * GPU (anchors copied into benchmarks/gpu/anchors-jax-h100.json), the plain sequential GRU on the GPU, and
 * a plain float64 typed-array loop in Node (timed on a subset and extrapolated where marked). Flax GRU,
 * inputs N(0, 1), zero h0, batch 16, float32, as in the anchor.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  batchGroupSize,
  createWebGpuBackend,
  type DeviceProblem,
  GruDeviceProblem,
  type GruWeights,
  packGru,
  problemBytes,
  type WebGpuBackend,
} from '@antler/backend-webgpu';
import { createGru } from '@antler/zoo';
import type { BenchContext, BenchRow, BenchSuite } from './types.js';

/** One row of `benchmarks/gpu/anchors-jax-h100.json`. */
export interface AnchorRow {
  alg: string;
  nh: number;
  T: number;
  time_s: number;
  iters: number[];
  max_err: number;
  error: string | null;
}

/** The JAX anchor rows (empty when the file is not found from here). */
function loadAnchors(): AnchorRow[] {
  for (const path of ['benchmarks/gpu/anchors-jax-h100.json', '../../benchmarks/gpu/anchors-jax-h100.json']) {
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as { rows: AnchorRow[] }).rows;
    } catch {
      // try the next location
    }
  }
  return [];
}

/** Finds the anchor row of one algorithm (`seq`, `quasi`, `deer`) and size, if the reference measured it. */
export type AnchorLookup = (alg: string, n: number, T: number) => AnchorRow | undefined;

/** Loads the JAX anchors once and returns their lookup. */
export function anchorLookup(): AnchorLookup {
  const anchors = loadAnchors();
  return (alg, n, T) => anchors.find((a) => a.alg === alg && a.nh === n && a.T === T);
}

/** Deterministic N(0, 1) float32 values (Box–Muller over a 32-bit LCG). */
export function normals(len: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(len);
  for (let i = 0; i < len; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < len) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * Plain float64 sequential GRU over the packed (float32-rounded) weights: the CPU baseline and the error
 * reference. Sequence `b` of inputs `[·][T][m]`, first `steps` steps, zero h0. Allocation-free inner loop.
 */
export function gruSequential64(
  w: GruWeights,
  x: Float32Array,
  T: number,
  b: number,
  steps: number,
): Float64Array {
  const { n, m, wx, wh } = w;
  const G = 3 * n;
  const out = new Float64Array(steps * n);
  const h = new Float64Array(n);
  const g = new Float64Array(G);
  const gh = new Float64Array(G);
  for (let t = 0; t < steps; t++) {
    const xo = (b * T + t) * m;
    for (let j = 0; j < G; j++) {
      g[j] = wx[m * G + j];
      gh[j] = 0;
    }
    for (let k = 0; k < m; k++) {
      const xk = x[xo + k];
      const row = k * G;
      for (let j = 0; j < G; j++) g[j] += xk * wx[row + j];
    }
    for (let k = 0; k < n; k++) {
      const hk = h[k];
      const row = k * G;
      for (let j = 0; j < G; j++) gh[j] += hk * wh[row + j];
    }
    for (let i = 0; i < n; i++) {
      const r = 1 / (1 + Math.exp(-(g[i] + gh[i])));
      const z = 1 / (1 + Math.exp(-(g[n + i] + gh[n + i])));
      const c = Math.tanh(g[2 * n + i] + r * (gh[2 * n + i] + wh[n * G + i]));
      h[i] = (1 - z) * c + z * h[i];
    }
    out.set(h, t * n);
  }
  return out;
}

/** max |a_i − b_i| over the first `len` entries (NaN counts as infinitely far). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, len: number): number {
  let e = 0;
  for (let i = 0; i < len; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= e)) e = d;
  }
  return e;
}

/** Median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Sizes and options of the gpu suite, from `--sizes` / `--quick`. */
export interface GpuSizes {
  ns: number[];
  Ts: number[];
  B: number;
  /** Methods to time (`m=quasi-deer,deer`; default both, DEER where cheap — see the suite). */
  methods: string[] | null;
  /** Tolerances: `tol=default,tight`. */
  tols: string[];
  /** `seq=0` skips the sequential rows. */
  sequential: boolean;
  /** `err=N` caps the float64 reference steps. */
  errCap: number;
}

/** `--sizes` syntax: `n=8,32;T=1e4,1e5;B=16;m=deer;tol=tight;seq=0;err=20000`. */
export function parseSizes(ctx: BenchContext): GpuSizes {
  const out: GpuSizes = {
    ns: [8, 32, 64],
    Ts: [1e4, 1e5, 1e6],
    B: 16,
    methods: null,
    tols: ['default', 'tight'],
    sequential: true,
    errCap: Number.POSITIVE_INFINITY,
  };
  if (ctx.quick) return { ...out, ns: [8], Ts: [2000], B: 4 };
  let { ns, Ts, B } = out;
  for (const part of (ctx.sizes ?? '').split(';').filter(Boolean)) {
    const [k, v] = part.split('=');
    const vals = v.split(',').map(Number);
    if (k === 'n') ns = vals;
    else if (k === 'T') Ts = vals;
    else if (k === 'B') B = vals[0];
    else if (k === 'm') out.methods = v.split(',');
    else if (k === 'tol') out.tols = v.split(',');
    else if (k === 'seq') out.sequential = v !== '0';
    else if (k === 'err') out.errCap = vals[0];
  }
  return { ...out, ns, Ts, B };
}

/** Options the suite passes to the backend: `--backend webgpu-opengl` selects Mesa/llvmpipe-style adapters. */
async function backendFor(ctx: BenchContext): Promise<WebGpuBackend> {
  return createWebGpuBackend(
    ctx.backend === 'webgpu-opengl' ? { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' } : {},
  );
}

/** Runs `fn` on every batch group, returning the summed seconds (groups run one after another). */
export async function timedGroups(
  problems: DeviceProblem[],
  fn: (p: DeviceProblem) => Promise<unknown>,
): Promise<number> {
  let total = 0;
  for (const p of problems) {
    const t0 = performance.now();
    await fn(p);
    total += (performance.now() - t0) / 1000;
  }
  return total;
}

export const gpuSuite: BenchSuite = {
  name: 'gpu',
  description:
    'Fused quasi-DEER GRU (flax, float32, batch 16) on WebGPU (or gpu.js with --backend gpujs) vs the JAX reference, GPU sequential, Node sequential',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    // `--backend gpujs[-opengl|-webasm|-cpu]`: the same table with the GRU as a gpu.js gpuCell.
    if (ctx.backend?.startsWith('gpujs')) return (await import('./gpu-gpujs.js')).gpuJsRows(ctx);
    const gpu = await backendFor(ctx);
    const adapter = gpu.adapter;
    ctx.log(`adapter: ${JSON.stringify(adapter)}`);
    const anchor = anchorLookup();
    const sizes = parseSizes(ctx);
    const { ns, Ts, B } = sizes;
    const rows: BenchRow[] = [];
    const total = ns.length * Ts.length;
    let done = 0;
    try {
      for (const T of Ts) {
        for (const n of ns) {
          ctx.progress(`gru n=${n} T=${T}`, done++, total);
          const cell = createGru({ hiddenSize: n, inputSize: n, seed: 0, variant: 'flax' });
          const w = packGru(cell);
          if (!w) throw new Error('flax GRU not recognised');
          const x = normals(B * T * n, 1234 + n);
          const h0 = new Float32Array(B * n);
          const G = batchGroupSize(gpu.context, B, T, n);
          const problems: GruDeviceProblem[] = [];
          const base = {
            n,
            T,
            B,
            dtype: 'float32',
            cell: 'gru-flax',
            device: adapter.description,
            groups: Math.ceil(B / G),
          };
          try {
            for (let g0 = 0; g0 < B; g0 += G) {
              const Bg = Math.min(G, B - g0);
              problems.push(
                GruDeviceProblem.create(
                  gpu.context,
                  w,
                  Bg,
                  T,
                  x.subarray(g0 * T * n, (g0 + Bg) * T * n),
                  h0.subarray(0, Bg * n),
                  null,
                ),
              );
            }
            // quasi-DEER at the reference's tolerances and at tight ones (the precision/time trade-off).
            let ref: Float64Array | undefined;
            let cpuSec = 0;
            let errSteps = 0;
            let quasi0: Float32Array = new Float32Array(0);
            // By default DEER runs where it is cheap (n ≤ 8) plus a probe at n = 32, T = 1e4; `m=deer` asks for it anywhere.
            const methods: ('quasi-deer' | 'deer')[] = sizes.methods
              ? (sizes.methods.filter((m) => m === 'quasi-deer' || m === 'deer') as ('quasi-deer' | 'deer')[])
              : ['quasi-deer', ...(n <= 8 || (n <= 32 && T <= 1e4) ? (['deer'] as const) : [])];
            const tols = [
              { name: 'default', atol: 1e-4, rtol: 1e-3 },
              { name: 'tight', atol: 1e-6, rtol: 1e-5 },
            ].filter((t) => sizes.tols.includes(t.name));
            const plan = methods.flatMap((method) =>
              tols.map((tol) => ({ method, atol: tol.atol, rtol: tol.rtol })),
            );
            for (const tol of plan) {
              // Dense DEER at n > 8 and T = 1e6 is timed once (its solves take seconds).
              const probe = tol.method === 'deer' && n > 8 && (sizes.methods === null || T >= 1e6);
              // quasi-DEER: reset to the zero trajectory (untimed), then time the whole solve (flag readbacks included).
              const samples: number[] = [];
              let iters: number[] = [];
              let readbacks = 0;
              let converged = true;
              let history: number[] = [];
              // Warm-up: at least ctx.warmup untimed solves and at least 0.3 s of them (GPU clocks ramp up
              // after the CPU-only phases between configurations; first runs on fresh buffers are slow).
              let warm = probe ? 0 : ctx.warmup;
              let warmSpent = 0;
              const reps = probe ? 1 : Number.POSITIVE_INFINITY;
              for (let r = 0; r < reps && samples.length < ctx.repeats; r++) {
                for (const p of problems) await p.resetToZeros(h0.subarray(0, p.B * n));
                iters = [];
                readbacks = 0;
                converged = true;
                const sec = await timedGroups(problems, async (p) => {
                  const s = await p.solve(tol.method, { atol: tol.atol, rtol: tol.rtol, maxIter: 200 });
                  iters.push(...s.iterationsPerSequence);
                  readbacks += s.readbacks;
                  converged &&= s.status.every((v) => v === 1);
                  history = s.history.map((h) => h.maxResidual);
                });
                if (!probe && (warm > 0 || (ctx.warmup > 0 && warmSpent < 0.3))) {
                  warm--;
                  warmSpent += sec;
                } else samples.push(sec);
              }
              // Error of batch member 0 against the float64 loop (first errSteps steps).
              errSteps = Math.min(T, sizes.errCap, n >= 64 ? 100_000 : n >= 32 ? 200_000 : 1_000_000);
              const cpu0 = performance.now();
              ref ??= gruSequential64(w, x, T, 0, errSteps);
              if (cpuSec === 0) cpuSec = (performance.now() - cpu0) / 1000;
              const got = await problems[0].readStates(0, 1);
              if (tol.method === 'quasi-deer') quasi0 = got;
              const errQuasi = maxAbsDiff(got, ref, errSteps * n);
              const aq = anchor(tol.method === 'deer' ? 'deer' : 'quasi', n, T);
              const medQ = median(samples);
              rows.push({
                suite: 'gpu',
                name: `gru/${tol.method}/webgpu`,
                params: {
                  ...base,
                  method: tol.method,
                  atol: tol.atol,
                  rtol: tol.rtol,
                  coldStartTiming: probe,
                },
                timing: {
                  median: medQ,
                  min: Math.min(...samples),
                  max: Math.max(...samples),
                  repeats: samples.length,
                  samples,
                },
                metrics: {
                  iterationsMax: Math.max(...iters),
                  iterationsMin: Math.min(...iters),
                  converged,
                  readbacks,
                  maxErrVsFloat64: errQuasi,
                  errorSteps: errSteps,
                  errorMembers: 1,
                  deviceBytes:
                    problemBytes(Math.min(G, B), T, n, n) +
                    // DEER's chunk maps (n×n + 2n per chunk, ≤ 1024 chunks per sequence) and partials.
                    (tol.method === 'deer'
                      ? 4 * Math.min(G, B) * Math.min(1024, Math.ceil(T / 32)) * (n * n + 2 * n + 6)
                      : 0),
                  anchorSeconds: aq?.time_s ?? null,
                  anchorIterations: aq ? aq.iters.join('/') : null,
                  anchorMaxErr: aq?.max_err ?? null,
                  speedupVsAnchor: aq ? aq.time_s / medQ : null,
                },
                series: { maxResidual: history },
              });
              ctx.log(
                `${tol.method} atol=${tol.atol} n=${n} T=${T}: ${(medQ * 1e3).toFixed(2)} ms, iters ${Math.min(...iters)}-${Math.max(...iters)}, err ${errQuasi.toExponential(2)}, anchor ${aq ? (aq.time_s * 1e3).toFixed(2) : '-'} ms`,
              );
            }
            if (!sizes.sequential || !ref) continue;
            // Sequential on the GPU (one workgroup per sequence, one thread per unit).
            const seqSamples: number[] = [];
            const seqReps = T >= 1e6 ? 1 : Math.max(1, Math.min(ctx.repeats, 3));
            for (let r = 0; r < seqReps + (T >= 1e6 ? 0 : 1); r++) {
              const sec = await timedGroups(problems, (p) => p.runSequential());
              if (T >= 1e6 || r >= 1) seqSamples.push(sec);
            }
            const seq0 = await problems[0].readStates(0, 1);
            const as = anchor('seq', n, T);
            const medS = median(seqSamples);
            rows.push({
              suite: 'gpu',
              name: 'gru/sequential/webgpu',
              params: { ...base, method: 'sequential' },
              timing: {
                median: medS,
                min: Math.min(...seqSamples),
                max: Math.max(...seqSamples),
                repeats: seqSamples.length,
                samples: seqSamples,
              },
              metrics: {
                maxErrVsFloat64: ref ? maxAbsDiff(seq0, ref, errSteps * n) : null,
                tightQuasiVsGpuSequential: maxAbsDiff(quasi0, seq0, T * n),
                errorSteps: errSteps,
                anchorSeconds: as?.time_s ?? null,
                speedupVsAnchor: as ? as.time_s / medS : null,
              },
            });
            // Node float64 loop: timed on member 0's first errSteps steps, extrapolated to B·T.
            const scale = (B * T) / errSteps;
            rows.push({
              suite: 'gpu',
              name: 'gru/sequential/node-float64',
              params: { ...base, method: 'sequential', timedSteps: errSteps, timedMembers: 1 },
              timing: {
                median: cpuSec * scale,
                min: cpuSec * scale,
                max: cpuSec * scale,
                repeats: 1,
                samples: [cpuSec * scale],
              },
              metrics: { measuredSeconds: cpuSec, extrapolated: scale !== 1, extrapolationFactor: scale },
            });
          } finally {
            for (const p of problems) p.destroy();
          }
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
