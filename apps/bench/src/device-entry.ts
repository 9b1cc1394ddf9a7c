/**
 * Entry bundled by `scripts/device-pack.mjs` for the lent GPU machine (no pnpm there): prints the adapter,
 * measures copy bandwidth, checks the WebGPU scans against float64 loops, then runs the `gpu` suite and
 * writes everything as JSON.
 *
 * `node .device/app/device-entry.mjs --out $OUT/gpu.json [--smoke] [--quick] [--sizes "n=8;T=1e4"] [--backend webgpu-opengl] [--suites gpu,gpu-cells]`
 *
 * With `--backend gpujs` (or `gpujs-opengl`, `gpujs-webasm`, `gpujs-cpu`) the smoke part opens gpu.js
 * instead (adapter info, the same diagonal scan check through the gpu.js backend, its executor) and the
 * suite runs the gpu.js table.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createGpuJsBackend, installWebGpuNavigator } from '@antler/backend-gpujs';
import { createWebGpuBackend, type WebGpuBackend } from '@antler/backend-webgpu';
import type { ScanBackend } from '@antler/core';
import { gpuSuite } from './suites/gpu.js';
import { gpuCellsSuite } from './suites/gpu-cells.js';
import { gpuJsTarget } from './suites/gpu-gpujs.js';
import type { BenchContext, BenchSuite } from './suites/types.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

/** Read+write bandwidth of a vec4 copy kernel over `bytes`, GB/s (10 dispatches in one submission). */
async function copyBandwidth(gpu: WebGpuBackend, bytes: number): Promise<number> {
  const d = gpu.context.device;
  const src = d.createBuffer({ size: bytes, usage: 0x80 | 0x08 });
  const dst = d.createBuffer({ size: bytes, usage: 0x80 });
  const code = `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> b: array<vec4f>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i < arrayLength(&a)) { b[i] = a[i] * 1.0001; }
}`;
  const pipe = d.createComputePipeline({
    layout: 'auto',
    compute: { module: d.createShaderModule({ code }), entryPoint: 'main' },
  });
  const bg = d.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: src } },
      { binding: 1, resource: { buffer: dst } },
    ],
  });
  const groups = Math.ceil(bytes / 16 / 256);
  const y = Math.ceil(groups / 65535);
  const run = async (reps: number) => {
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(Math.ceil(groups / y), y);
    pass.end();
    d.queue.submit([enc.finish()]);
    await d.queue.onSubmittedWorkDone();
  };
  await run(2);
  const t0 = performance.now();
  await run(10);
  const sec = (performance.now() - t0) / 1000;
  src.destroy();
  dst.destroy();
  return (2 * bytes * 10) / sec / 1e9;
}

/** Diagonal scan B = 16, T = 1e5, n = 8 on the GPU vs a float64 loop: max |error| and seconds (with transfers). */
async function scanCheck(gpu: ScanBackend): Promise<Record<string, number>> {
  const B = 16;
  const T = 100_000;
  const n = 8;
  const a = new Float32Array(B * T * n);
  const b = new Float32Array(B * T * n);
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = 0.5 + 0.49 * Math.sin(s);
    b[i] = Math.cos(s * 1.3);
  }
  const out = new Float32Array(B * T * n);
  const t0 = performance.now();
  await gpu.affineScan({
    structure: 'diagonal',
    batch: B,
    length: T,
    size: n,
    a: { data: a },
    b: { data: b },
    out: { data: out },
  });
  const sec = (performance.now() - t0) / 1000;
  let err = 0;
  for (let k = 0; k < B; k++)
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let t = 0; t < T; t++) {
        const j = (k * T + t) * n + i;
        v = a[j] * v + b[j];
        err = Math.max(err, Math.abs(out[j] - v) / Math.max(1, Math.abs(v)));
      }
    }
  return { B, T, n, seconds: sec, maxRelError: err };
}

/** Median host round trip of a tiny copy + mapAsync (what each convergence readback costs at least), ms. */
async function roundTripMs(gpu: WebGpuBackend): Promise<number> {
  const d = gpu.context.device;
  const src = d.createBuffer({ size: 16, usage: 0x80 | 0x04 });
  const dst = d.createBuffer({ size: 16, usage: 0x01 | 0x08 });
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const enc = d.createCommandEncoder();
    enc.copyBufferToBuffer(src, 0, dst, 0, 16);
    d.queue.submit([enc.finish()]);
    await dst.mapAsync(1);
    dst.unmap();
    times.push(performance.now() - t0);
  }
  src.destroy();
  dst.destroy();
  times.sort((a, b) => a - b);
  return times[15];
}

/** The WebGPU backend's smoke measurements: adapter, copy bandwidth, readback round trip, a diagonal scan. */
async function webGpuSmoke(backend: string | undefined): Promise<Record<string, unknown>> {
  const gpu = await createWebGpuBackend(
    backend === 'webgpu-opengl' ? { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' } : {},
  );
  console.log('adapter', JSON.stringify(gpu.adapter));
  const smoke: Record<string, unknown> = { adapter: gpu.adapter };
  const bwBytes = Math.min(1 << 30, gpu.adapter.maxStorageBufferBindingSize - 16);
  smoke.copyBandwidthGBs = await copyBandwidth(gpu, Math.floor(bwBytes / 16) * 16);
  console.log('copy bandwidth GB/s', smoke.copyBandwidthGBs);
  smoke.roundTripMs = await roundTripMs(gpu);
  console.log('readback round trip ms', smoke.roundTripMs);
  smoke.diagonalScan = await scanCheck(gpu);
  console.log('diagonal scan', JSON.stringify(smoke.diagonalScan));
  gpu.dispose();
  return smoke;
}

/** gpu.js smoke: which mode ran, the adapter, and the diagonal scan check through the gpu.js backend. */
async function gpuJsSmoke(backend: string): Promise<Record<string, unknown>> {
  const target = gpuJsTarget(backend);
  const gpu = await createGpuJsBackend(target);
  const info = target.mode === 'webgpu' ? (await installWebGpuNavigator(target.webgpu)).info : null;
  const smoke: Record<string, unknown> = {
    gpujs: { mode: gpu.mode, ranOn: gpu.ranOn, onCpu: gpu.onCpu, fallbackReason: gpu.fallbackReason },
    adapter: info ?? gpu.adapter,
  };
  console.log('gpu.js', JSON.stringify(smoke));
  smoke.diagonalScan = {
    ...(await scanCheck(gpu)),
    executorKind: gpu.executorKind,
    algorithm: gpu.algorithm,
  };
  console.log('diagonal scan (gpu.js)', JSON.stringify(smoke.diagonalScan));
  await gpu.dispose();
  return smoke;
}

async function main() {
  const outPath = arg('--out') ?? 'gpu-result.json';
  const backend = arg('--backend');
  const started = new Date().toISOString();
  const smoke: Record<string, unknown> = backend?.startsWith('gpujs')
    ? await gpuJsSmoke(backend)
    : await webGpuSmoke(backend);
  const rows: unknown[] = [];

  if (!flag('--no-suite')) {
    const ctx: BenchContext = {
      sizes: arg('--sizes'),
      backend,
      quick: flag('--quick'),
      repeats: Number(arg('--repeats') ?? 5),
      warmup: Number(arg('--warmup') ?? 1),
      progress: () => {},
      log: (m) => console.log(m),
    };
    // `--suites gpu,gpu-cells` (default `gpu`): every named suite runs with the same context.
    const named: Record<string, BenchSuite> = { gpu: gpuSuite, 'gpu-cells': gpuCellsSuite };
    for (const name of (arg('--suites') ?? 'gpu').split(',')) {
      const suite = named[name];
      if (!suite) throw new Error(`unknown suite ${name} (known: ${Object.keys(named).join(', ')})`);
      rows.push(...(await suite.run(ctx)));
    }
  }
  const result = {
    suite: 'gpu',
    started,
    finished: new Date().toISOString(),
    node: process.version,
    argv: process.argv.slice(2),
    smoke,
    rows,
  };
  writeFileSync(outPath, `${JSON.stringify(result, null, 1)}\n`);
  console.log(`wrote ${outPath}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
