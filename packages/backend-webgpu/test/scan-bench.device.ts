/**
 * Scan benchmark for the lent GPU (not a vitest file): dense and block affine scans on GPU-resident
 * buffers, the chunked kernels vs the sequential-in-T kernels, plus correctness checks (chunked vs
 * sequential on the same GPU data; subgroup vs workgroup-memory diagonal carry vs a float64 loop).
 *
 * Bundled by: esbuild packages/backend-webgpu/test/scan-bench.device.ts --bundle --platform=node
 *   --format=esm --external:webgpu --conditions=@antler/source --outfile=.device/app/scan-bench.mjs
 * Run: source .device/setup.sh; node .device/app/scan-bench.mjs --out $OUT/gpu-scans.json [--quick]
 *
 * Operators are generated on the GPU (hash-based uniform values, contractive). Where B·T·step floats
 * exceed the binding limit, the time axis is processed in windows that re-read one GPU-resident window
 * of operators (periodic in T), each window starting from the previous window's last state; the timing
 * covers the scan kernels only (no PCIe). Effective GB/s = (operators + offsets read once + states
 * written once) / time.
 */
import { writeFileSync } from 'node:fs';
import type { Structure } from '@antler/core';
import { acquireGpu, readBack, storageBuffer, uniformBuffer } from '../src/gpu-context.js';
import { encodeAffineScan, type ScanEncodeOptions } from '../src/scan-encode.js';
import { planScan, type ScanAlgorithm } from '../src/scan-plan.js';
import { pipeline } from '../src/pipelines.js';
import { grid, THREAD_INDEX_WGSL, WG } from '../src/wgsl-common.js';

const args = process.argv.slice(2);
const outPath = args[args.indexOf('--out') + 1] ?? 'gpu-scans.json';
const quick = args.includes('--quick');
// --tiny: a smoke run on llvmpipe (Dawn's OpenGL backend), sizes divided by 100.
const tiny = args.includes('--tiny');
const scaleT = (T: number) => (tiny ? Math.max(7, Math.round(T / 100)) : T);
const gpuOptions = tiny ? { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' as const } : {};

const FILL_WGSL = /* wgsl */ `
struct P { count: u32, seed: u32, scale: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
fn hash(v: u32) -> u32 {
  var h = v * 747796405u + 2891336453u;
  h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
  return (h >> 22u) ^ h;
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.count) { return; }
  let u = f32(hash(tid ^ hash(p.seed))) * (1.0 / 4294967296.0);
  x[tid] = (2.0 * u - 1.0) * p.scale;
}
`;

const ctx = await acquireGpu(gpuOptions);
const d = ctx.device;
const f32 = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

function fill(buf: GPUBuffer, count: number, seed: number, scale: number): void {
  const u = uniformBuffer(d, new Uint32Array([count, seed, f32(scale), 0]));
  const pipe = pipeline(d, FILL_WGSL);
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(
    0,
    d.createBindGroup({
      layout: pipe.getBindGroupLayout(0),
      entries: [u, buf].map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  const g = grid(count);
  pass.dispatchWorkgroups(g[0], g[1]);
  pass.end();
  d.queue.submit([enc.finish()]);
}

interface Config {
  structure: Structure;
  K: number;
  n: number;
  B: number;
  T: number;
}

function stepOf(c: Config): number {
  return c.structure === 'dense' ? c.n * c.n : c.structure === 'block' ? c.n * c.K : c.n;
}

const limit = Math.min(d.limits.maxStorageBufferBindingSize, d.limits.maxBufferSize);

/** Allocates a window of GPU-resident operators and offsets for `c`. */
function allocate(c: Config) {
  const step = stepOf(c);
  const Tw = Math.min(c.T, Math.floor(limit / (4 * c.B * step)));
  const a = storageBuffer(d, 4 * c.B * Tw * step);
  const b = storageBuffer(d, 4 * c.B * Tw * c.n);
  const s0 = storageBuffer(d, 4 * c.B * c.n);
  const out = storageBuffer(d, 4 * c.B * Tw * c.n);
  const scale = c.structure === 'diagonal' ? 0.99 : 0.9 / Math.sqrt(c.K);
  fill(a, c.B * Tw * step, 1, scale);
  fill(b, c.B * Tw * c.n, 2, 1);
  fill(s0, c.B * c.n, 3, 1);
  const destroy = () => {
    for (const x of [a, b, s0, out]) x.destroy();
  };
  return { Tw, a, b, s0, out, destroy };
}

/** One timed scan of T steps (in windows of Tw); returns seconds. */
async function timeScan(
  c: Config,
  bufs: ReturnType<typeof allocate>,
  options: ScanEncodeOptions,
): Promise<number> {
  const t0 = performance.now();
  const scratch: GPUBuffer[] = [];
  for (let t = 0; t < c.T; t += bufs.Tw) {
    const w = Math.min(bufs.Tw, c.T - t);
    const enc = d.createCommandEncoder();
    if (t > 0)
      for (let q = 0; q < c.B; q++)
        enc.copyBufferToBuffer(
          bufs.out,
          4 * (q * bufs.Tw + bufs.Tw - 1) * c.n,
          bufs.s0,
          4 * q * c.n,
          4 * c.n,
        );
    const pass = enc.beginComputePass();
    const e = encodeAffineScan(
      ctx,
      pass,
      { structure: c.structure, K: c.K, B: c.B, T: w, n: c.n },
      bufs,
      options,
    );
    pass.end();
    d.queue.submit([enc.finish()]);
    scratch.push(...e.scratch);
  }
  await d.queue.onSubmittedWorkDone();
  const s = (performance.now() - t0) / 1000;
  for (const x of scratch) x.destroy();
  return s;
}

async function median(c: Config, bufs: ReturnType<typeof allocate>, options: ScanEncodeOptions) {
  const first = await timeScan(c, bufs, options); // warm-up (pipeline creation)
  const reps = first > 2 ? 0 : first > 0.5 ? 1 : 3;
  if (reps === 0) return { seconds: first, runs: 1, note: 'single run (includes pipeline creation)' };
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) ts.push(await timeScan(c, bufs, options));
  ts.sort((x, y) => x - y);
  return { seconds: ts[Math.floor(ts.length / 2)], runs: reps, note: `median of ${reps} after 1 warm-up` };
}

async function readStates(buf: GPUBuffer, floats: number): Promise<Float32Array> {
  return new Float32Array(await readBack(d, buf, 4 * floats));
}

const report: Record<string, unknown> = {
  adapter: ctx.info,
  limits: {
    maxComputeWorkgroupStorageSize: d.limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: d.limits.maxComputeInvocationsPerWorkgroup,
  },
  date: new Date().toISOString(),
  node: process.version,
  method:
    'GPU-resident operators (hash-uniform, contractive), kernels timed from first submit to onSubmittedWorkDone; ' +
    'windows of Tw steps re-read one resident window when B*T*step*4 exceeds the binding limit; ' +
    'effectiveGBs = 4*B*T*(step + 2n) bytes / time',
};
console.log(JSON.stringify(report.adapter));

// 1. Correctness on the GPU: chunked vs sequential kernels on the same data (one window).
const checks: unknown[] = [];
for (const c of [
  { structure: 'dense', K: 8, n: 8, B: 4, T: 20000 },
  { structure: 'dense', K: 32, n: 32, B: 2, T: 5000 },
  { structure: 'dense', K: 64, n: 64, B: 2, T: 2000 },
  { structure: 'block', K: 2, n: 64, B: 4, T: 20000 },
  { structure: 'block', K: 3, n: 48, B: 2, T: 10007 },
] as Config[]) {
  c.T = scaleT(c.T);
  const bufs = allocate(c);
  await timeScan(c, bufs, { algorithm: 'chunked' });
  const x = await readStates(bufs.out, c.B * c.T * c.n);
  await timeScan(c, bufs, { algorithm: 'sequential' });
  const y = await readStates(bufs.out, c.B * c.T * c.n);
  let err = 0;
  for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  const plan = planScan(c.structure, c.K, c.B, c.T, c.n, d.limits);
  checks.push({
    ...c,
    kernel: plan.kernel,
    aggregate: plan.aggregate,
    C: plan.C,
    L: plan.L,
    maxRelDiffVsSequential: err,
  });
  console.log('check', JSON.stringify(checks.at(-1)));
  bufs.destroy();
}
// Subgroup vs workgroup-memory carry, diagonal scan, vs a float64 loop on the host.
{
  const B = 3;
  const T = scaleT(100003);
  const n = 5;
  let x = 12345;
  const rnd = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
  const a = Float32Array.from({ length: B * T * n }, () => 0.2 + 0.79 * rnd());
  const bb = Float32Array.from({ length: B * T * n }, () => 2 * rnd() - 1);
  const bufs = {
    a: storageBuffer(d, a.byteLength, a),
    b: storageBuffer(d, bb.byteLength, bb),
    s0: storageBuffer(d, 4 * B * n),
    out: storageBuffer(d, bb.byteLength),
  };
  for (const subgroups of [true, false]) {
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    const e = encodeAffineScan(ctx, pass, { structure: 'diagonal', K: 1, B, T, n }, bufs, { subgroups });
    pass.end();
    const out = new Float32Array(await readBack(d, bufs.out, bb.byteLength, enc));
    for (const q of e.scratch) q.destroy();
    let err = 0;
    for (let q = 0; q < B; q++)
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < T; t++) {
          const k = (q * T + t) * n + i;
          s = a[k] * s + bb[k];
          err = Math.max(err, Math.abs(out[k] - s) / (1 + Math.abs(s)));
        }
      }
    checks.push({
      structure: 'diagonal',
      subgroupsRequested: subgroups,
      subgroupKernelUsed: e.subgroups,
      chunks: e.plan.C,
      B,
      T,
      n,
      maxRelErrVsFloat64: err,
    });
    console.log('check', JSON.stringify(checks.at(-1)));
  }
  for (const q of Object.values(bufs)) q.destroy();
}
report.checks = checks;

// 2. Timings.
const configs: Config[] = quick
  ? [
      { structure: 'dense', K: 8, n: 8, B: 16, T: 1e5 },
      { structure: 'block', K: 2, n: 64, B: 16, T: 1e5 },
    ]
  : [
      { structure: 'dense', K: 8, n: 8, B: 16, T: 1e5 },
      { structure: 'dense', K: 8, n: 8, B: 16, T: 1e6 },
      { structure: 'dense', K: 32, n: 32, B: 16, T: 1e5 },
      { structure: 'dense', K: 32, n: 32, B: 16, T: 1e6 },
      { structure: 'dense', K: 64, n: 64, B: 16, T: 1e5 },
      { structure: 'block', K: 2, n: 64, B: 16, T: 1e5 },
      { structure: 'block', K: 2, n: 64, B: 16, T: 1e6 },
    ];
const results: unknown[] = [];
for (const c of configs) {
  c.T = scaleT(c.T);
  const bufs = allocate(c);
  const bytes = 4 * c.B * c.T * (stepOf(c) + 2 * c.n);
  const plan = planScan(c.structure, c.K, c.B, bufs.Tw, c.n, d.limits);
  // Tiled configurations: every phase-1 variant, and each phase alone (profiling).
  const runs: { algorithm: ScanAlgorithm; variant?: 'column' | 'staged' | 'gemm'; phases?: number[] }[] = [];
  for (const algorithm of ['chunked', 'sequential'] as ScanAlgorithm[]) {
    // The sequential kernels at n = 32, T = 1e6 would take tens of seconds: measured at T = 1e5 only.
    if (algorithm === 'sequential' && c.T > 1e5 && c.structure === 'dense' && c.n >= 32) continue;
    if (algorithm === 'chunked' && plan.kernel === 'tiled')
      for (const variant of ['column', 'staged', 'gemm'] as const) {
        if (variant === 'gemm' && !(c.K % 4 === 0 && c.K >= 16)) continue;
        runs.push({ algorithm, variant });
        if ((c.T <= 1e5 || c.n <= 8) && variant === 'staged')
          for (const ph of [1, 2, 3]) runs.push({ algorithm, variant, phases: [ph] });
      }
    else runs.push({ algorithm });
  }
  for (const run of runs) {
    const m = await median(c, bufs, {
      algorithm: run.algorithm,
      tiledAggregate: run.variant,
      phases: run.phases,
    });
    const r = {
      ...c,
      algorithm: run.algorithm,
      kernel: run.algorithm === 'chunked' ? plan.kernel : 'sequential',
      phase1: run.variant,
      phasesTimed: run.phases ?? 'all',
      chunks: run.algorithm === 'chunked' ? plan.C : 1,
      window: bufs.Tw,
      windows: Math.ceil(c.T / bufs.Tw),
      ms: +(m.seconds * 1000).toFixed(3),
      effectiveGBs: run.phases ? undefined : +(bytes / m.seconds / 1e9).toFixed(1),
      timing: m.note,
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  bufs.destroy();
}
report.results = results;
writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${outPath}`);
d.destroy();
process.exit(0);
