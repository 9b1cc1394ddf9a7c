/**
 * The `gpu` suite on gpu.js (`antler bench --suite gpu --backend gpujs`): the same flax GRU table as the
 * WebGPU one (B = 16, float32, inputs N(0, 1), zero h0, the JAX anchors side by side, a float64 Node loop
 * timed in the same run), with the GRU written as a gpu.js `gpuCell` (`flaxGruGpuCell`) and the whole
 * Newton loop in `solveOnDevice`. Sizes gpu.js cannot run (float32 thread indices, dense DEER above
 * n = 16) become rows that say why instead of disappearing.
 *
 * Backends: `gpujs` (gpu.js webgpu mode on Dawn's default backend, Vulkan, high-performance adapter),
 * `gpujs-opengl` (webgpu mode on Dawn's OpenGL backend: Mesa llvmpipe on a machine without a GPU),
 * `gpujs-webasm`, `gpujs-cpu` (gpu.js's CPU modes).
 */
import { performance } from 'node:perf_hooks';
import { packGru } from '@antler/backend-webgpu';
import {
  createGpuJsBackend,
  deviceSolveUnsupported,
  flaxGruGpuCell,
  type GpuJsBackend,
  type GpuJsMode,
  installWebGpuNavigator,
  MAX_PACKED_ELEMENTS,
  type WebGpuEnvironmentOptions,
} from '@antler/backend-gpujs';
import type { SolveResult } from '@antler/core';
import { createGru } from '@antler/zoo';
import { anchorLookup, gruSequential64, maxAbsDiff, median, normals, parseSizes } from './gpu.js';
import type { BenchContext, BenchRow } from './types.js';

/** How a `--backend gpujs…` name opens gpu.js. */
export interface GpuJsBenchTarget {
  readonly mode: GpuJsMode;
  readonly webgpu?: WebGpuEnvironmentOptions;
}

/** Maps `gpujs`, `gpujs-opengl`, `gpujs-webasm`, `gpujs-cpu` to a gpu.js mode and WebGPU environment. */
export function gpuJsTarget(backend: string): GpuJsBenchTarget {
  switch (backend) {
    case 'gpujs':
    case 'gpujs-webgpu':
      return {
        mode: 'webgpu',
        webgpu: { dawnOptions: [], featureLevel: 'core', powerPreference: 'high-performance' },
      };
    case 'gpujs-opengl':
      return { mode: 'webgpu', webgpu: { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' } };
    case 'gpujs-webasm':
      return { mode: 'webasm' };
    case 'gpujs-cpu':
      return { mode: 'cpu' };
    default:
      throw new Error(
        `unknown gpu.js backend '${backend}': expected gpujs, gpujs-opengl, gpujs-webasm or gpujs-cpu`,
      );
  }
}

/** Floats of the largest kernel of one sequence's device solve (the solver's per-kernel limit). */
function floatsPerSequence(method: 'quasi-deer' | 'deer', n: number, T: number): number {
  return method === 'deer' ? (T + 1) * (n * n + n) : n * (T + 1) * 2;
}

/** The gpu suite's rows on gpu.js (see the file comment). */
export async function gpuJsRows(ctx: BenchContext): Promise<BenchRow[]> {
  const backendName = ctx.backend ?? 'gpujs';
  const target = gpuJsTarget(backendName);
  const gpu: GpuJsBackend = await createGpuJsBackend({ ...target, devicePlanCacheSize: 8 });
  const info = target.mode === 'webgpu' ? (await installWebGpuNavigator(target.webgpu)).info : null;
  const adapterText = info
    ? `${info.vendor} ${info.architecture} ${info.device}`.trim()
    : `CPU (gpu.js ${gpu.ranOn})`;
  ctx.log(`gpu.js mode ${gpu.mode}, ran on ${gpu.ranOn}, adapter: ${JSON.stringify(info ?? gpu.adapter)}`);
  const anchor = anchorLookup();
  const sizes = parseSizes(ctx);
  const { ns, Ts, B } = sizes;
  const rows: BenchRow[] = [];
  const total = ns.length * Ts.length;
  let done = 0;
  try {
    for (const T of Ts) {
      for (const n of ns) {
        ctx.progress(`gpujs gru n=${n} T=${T}`, done++, total);
        const w = packGru(createGru({ hiddenSize: n, inputSize: n, seed: 0, variant: 'flax' }));
        if (!w) throw new Error('flax GRU not recognised');
        const cell = flaxGruGpuCell({ hiddenSize: n, inputSize: n, wx: w.wx, wh: w.wh });
        const base = {
          n,
          T,
          B,
          dtype: 'float32',
          cell: 'gru-flax',
          backend: backendName,
          mode: gpu.mode,
          device: info?.description || adapterText,
        };
        const methods: ('quasi-deer' | 'deer')[] = sizes.methods
          ? (sizes.methods.filter((m) => m === 'quasi-deer' || m === 'deer') as ('quasi-deer' | 'deer')[])
          : ['quasi-deer', ...(n <= 8 || (n <= 32 && T <= 1e4) ? (['deer'] as const) : [])];
        const tols = [
          { name: 'default', atol: 1e-4, rtol: 1e-3 },
          { name: 'tight', atol: 1e-6, rtol: 1e-5 },
        ].filter((t) => sizes.tols.includes(t.name));
        const errSteps = Math.min(T, sizes.errCap, n >= 64 ? 100_000 : n >= 32 ? 200_000 : 1_000_000);
        // Whole sequences per solve call: as many as one kernel's float32 thread indices allow.
        const perGroupOf = (method: 'quasi-deer' | 'deer') =>
          Math.min(B, Math.floor(MAX_PACKED_ELEMENTS / floatsPerSequence(method, n, T)));
        const declinedOf = (method: 'quasi-deer' | 'deer'): string | null => {
          const why = deviceSolveUnsupported(cell, { method, dtype: 'float32', batch: 1 });
          if (why !== null) return why;
          const floats = floatsPerSequence(method, n, T);
          return perGroupOf(method) < 1
            ? `B, n, T = 1, ${n}, ${T} needs ${floats} floats per kernel, above ${MAX_PACKED_ELEMENTS} (float32 thread indices)`
            : null;
        };
        // The inputs (B·T·n floats: 4 GB at n = 64, T = 1e6) only when some solve runs; the float64
        // reference reads member 0's first errSteps steps, which normals() draws first.
        const x = normals(methods.some((m) => declinedOf(m) === null) ? B * T * n : errSteps * n, 1234 + n);
        let ref: Float64Array | undefined;
        let cpuSec = 0;
        const reference = () => {
          if (!ref) {
            const t0 = performance.now();
            ref = gruSequential64(w, x, T, 0, errSteps);
            cpuSec = (performance.now() - t0) / 1000;
          }
          return ref;
        };
        for (const method of methods) {
          const aq = anchor(method === 'deer' ? 'deer' : 'quasi', n, T);
          const anchorMetrics = {
            anchorSeconds: aq?.time_s ?? null,
            anchorIterations: aq ? aq.iters.join('/') : null,
            anchorMaxErr: aq?.max_err ?? null,
          };
          const perGroup = perGroupOf(method);
          const declined = declinedOf(method);
          if (declined !== null) {
            const reason = `skipped: gpu.js cannot run this size: ${declined}`;
            ctx.log(`${method} n=${n} T=${T}: ${reason}`);
            for (const tol of tols)
              rows.push({
                suite: 'gpu',
                name: `gru/${method}/gpujs`,
                params: { ...base, method, atol: tol.atol, rtol: tol.rtol },
                metrics: { skipped: reason, ...anchorMetrics },
              });
            continue;
          }
          const groups: [number, number][] = [];
          for (let g0 = 0; g0 < B; g0 += perGroup) groups.push([g0, Math.min(perGroup, B - g0)]);
          for (const tol of tols) {
            const opts = { method, dtype: 'float32', atol: tol.atol, rtol: tol.rtol, maxIter: 200 } as const;
            let first: SolveResult | null = null;
            let iters: number[] = [];
            let converged = true;
            let history: number[] = [];
            const solveAll = async (): Promise<number> => {
              let sec = 0;
              iters = [];
              converged = true;
              for (const [g0, Bg] of groups) {
                const t0 = performance.now();
                const r = await gpu.solveOnDevice(cell, x.subarray(g0 * T * n, (g0 + Bg) * T * n), {
                  ...opts,
                  batch: Bg,
                });
                sec += (performance.now() - t0) / 1000;
                if (!r) throw new Error(`gpu.js declined the solve of B=${Bg} n=${n} T=${T}`);
                if (g0 === 0) {
                  first = r;
                  history = r.history.map((h) => h.maxResidual);
                }
                iters.push(...r.iterationsPerSequence);
                converged &&= r.converged;
              }
              return sec;
            };
            const builds0 = gpu.devicePlans?.builds ?? 0;
            // The first solve compiles the kernels (WGSL translation, pipeline creation): timed apart.
            const coldSeconds = await solveAll();
            const compiled = (gpu.devicePlans?.builds ?? 0) - builds0;
            const samples: number[] = [];
            // A size whose solve takes longer than 20 s is timed once, cold (marked).
            const coldOnly = coldSeconds > 20;
            if (!coldOnly) {
              for (let r = 0; r < ctx.warmup; r++) await solveAll();
              for (let r = 0; r < ctx.repeats; r++) samples.push(await solveAll());
            } else samples.push(coldSeconds);
            const states = (first as SolveResult | null)?.states ?? new Float32Array(0);
            const err = maxAbsDiff(states, reference(), errSteps * n);
            const med = median(samples);
            rows.push({
              suite: 'gpu',
              name: `gru/${method}/gpujs`,
              params: {
                ...base,
                method,
                atol: tol.atol,
                rtol: tol.rtol,
                coldStartTiming: coldOnly,
                groups: groups.length,
                sequencesPerGroup: perGroup,
              },
              timing: {
                median: med,
                min: Math.min(...samples),
                max: Math.max(...samples),
                repeats: samples.length,
                samples,
              },
              metrics: {
                iterationsMax: Math.max(...iters),
                iterationsMin: Math.min(...iters),
                converged,
                maxErrVsFloat64: err,
                errorSteps: errSteps,
                errorMembers: 1,
                coldSeconds,
                plansCompiled: compiled,
                ranOn: gpu.ranOn,
                onCpu: gpu.onCpu,
                executorKind: gpu.executorKind,
                fallbackReason: gpu.fallbackReason,
                ...anchorMetrics,
                speedupVsAnchor: aq ? aq.time_s / med : null,
              },
              series: { maxResidual: history },
            });
            ctx.log(
              `gpujs ${method} atol=${tol.atol} n=${n} T=${T}: ${(med * 1e3).toFixed(2)} ms (cold ${(coldSeconds * 1e3).toFixed(0)} ms), iters ${Math.min(...iters)}-${Math.max(...iters)}, err ${err.toExponential(2)}, executor ${gpu.executorKind}, anchor ${aq ? (aq.time_s * 1e3).toFixed(2) : '-'} ms`,
            );
          }
        }
        if (!sizes.sequential) continue;
        // Node float64 loop: timed on member 0's first errSteps steps, extrapolated to B·T.
        reference();
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
          metrics: {
            measuredSeconds: cpuSec,
            extrapolated: scale !== 1,
            extrapolationFactor: scale,
            anchorSeconds: anchor('seq', n, T)?.time_s ?? null,
          },
        });
      }
    }
    ctx.progress('done', total, total);
  } finally {
    await gpu.dispose();
  }
  return rows.map((r) => ({ ...r, params: { ...r.params, adapter: adapterText } }));
}
