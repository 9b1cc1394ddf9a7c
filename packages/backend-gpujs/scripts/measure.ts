/**
 * Side-by-side timings on this machine: the gpu.js scan backend in every mode that runs, against the
 * CPU sequential scan (float32, same arrays), plus one on-device quasi-DEER solve. Median of 5 after 2
 * warm-ups; includes packing, upload and readback (what a caller of affineScan pays). The machine is
 * shared, so compare columns of one run, not runs.
 *
 *   npx tsx --conditions=@antler/source packages/backend-gpujs/scripts/measure.ts
 */
import type { AffineScanArgs, ScanBackend } from '@antler/core';
import { createSequentialBackend } from '@antler/scan';
import { createGpuJsBackend, type GpuJsMode, gpuCell, probeGpuJsModes } from '../src/index.js';

async function median(fn: () => unknown, repeats = 5, warmup = 2): Promise<number> {
  for (let k = 0; k < warmup; k++) await fn();
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function problem(structure: 'diagonal' | 'block' | 'dense', B: number, T: number, n: number): AffineScanArgs {
  const step = structure === 'dense' ? n * n : structure === 'block' ? n * 2 : n;
  const a = new Float32Array(B * T * step);
  const b = new Float32Array(B * T * n);
  for (let k = 0; k < a.length; k++) a[k] = 0.45 * Math.sin(k * 0.7);
  for (let k = 0; k < b.length; k++) b[k] = Math.cos(k * 0.3);
  return {
    structure,
    blockSize: structure === 'block' ? 2 : undefined,
    batch: B,
    length: T,
    size: n,
    a: { data: a },
    b: { data: b },
    out: { data: new Float32Array(B * T * n) },
  };
}

const probes = await probeGpuJsModes(['webgpu', 'headlessgl', 'webasm', 'cpu']);
for (const p of probes)
  console.log(`mode ${p.mode}: ${p.ran ? `ran on ${p.ranOn}` : `unavailable: ${p.reason}`}`);
const modes = probes.filter((p) => p.ran).map((p) => p.mode as GpuJsMode);
const backends: [string, ScanBackend][] = [['cpu-sequential', createSequentialBackend()]];
for (const mode of modes) backends.push([`gpujs ${mode}`, await createGpuJsBackend({ mode })]);
// The same device without the chunked diagonal scan, to show what the algorithm buys in the same run.
if (modes.length > 0)
  backends.push([
    `gpujs ${modes[0]} hillis-steele`,
    await createGpuJsBackend({ mode: modes[0], algorithm: 'hillis-steele' }),
  ]);

const cases = [
  ['diagonal', 1, 1024, 1],
  ['diagonal', 16, 4096, 16],
  ['diagonal', 1, 65536, 8],
  ['block', 16, 4096, 8],
  ['dense', 16, 1024, 4],
] as const;
console.log('\nms per affineScan (median of 5), float32:');
console.log(['case', ...backends.map(([name]) => name)].join(' | '));
for (const [structure, B, T, n] of cases) {
  const args = problem(structure, B, T, n);
  const row = [`${structure} B=${B} T=${T} n=${n}`];
  for (const [name, backend] of backends) {
    const ms = await median(() => backend.affineScan(args));
    const extra = 'executorKind' in backend ? ` (${(backend as { executorKind: string }).executorKind})` : '';
    row.push(`${ms.toFixed(2)}${name === 'cpu-sequential' ? '' : extra}`);
  }
  console.log(row.join(' | '));
}

const cell = gpuCell({
  stateSize: 8,
  inputSize: 8,
  constants: { a: 0.7, c: -0.4, n: 8 },
  step(h, x, i) {
    return Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
  },
  diagonal(h, x, i) {
    const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
    return this.constants.a * (1 - y * y);
  },
  jacobian(h, x, i, j) {
    const next = (i + 1) % this.constants.n;
    const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[next] + x[i]);
    let w = 0;
    if (j === i) w += this.constants.a;
    if (j === next) w += this.constants.c;
    return w * (1 - y * y);
  },
});
const B = 4;
const T = 2048;
const inputs = new Float32Array(B * T * 8).map((_, k) => Math.sin(0.37 * k) * 1.5);
const seq = await median(() => {
  const h = new Float64Array(8);
  const o = new Float64Array(8);
  for (let b = 0; b < B; b++) {
    h.fill(0);
    for (let t = 0; t < T; t++) {
      cell.step(h, 0, inputs, (b * T + t) * 8, o, 0);
      h.set(o);
    }
  }
});
console.log(`\nsolves on the device, coupled tanh gpuCell n=8, B=${B}, T=${T}, float32:`);
console.log(`cpu sequential loop (cell.step, float64): ${seq.toFixed(2)} ms`);
for (const [name, backend] of backends.slice(1, 1 + modes.length)) {
  const solver = backend as unknown as {
    solveOnDevice: (...a: unknown[]) => Promise<{ iterations: number; converged: boolean; residual: number }>;
  };
  for (const method of ['quasi-deer', 'deer']) {
    let info = '';
    const ms = await median(
      async () => {
        const r = await solver.solveOnDevice(cell, inputs, { method, dtype: 'float32', batch: B });
        info = `${r.iterations} iterations, converged ${r.converged}, residual ${r.residual.toExponential(1)}`;
      },
      3,
      1,
    );
    console.log(`${name} ${method}: ${ms.toFixed(1)} ms (${info})`);
  }
}
for (const [, backend] of backends) await backend.dispose?.();
process.exit(0);
