/**
 * How far memory bandwidth scales with threads on this machine: copies `bytes` with `TypedArray.set`
 * on 1 thread and split across 2 (worker_threads, SharedArrayBuffer), side by side in one run. This is the
 * ceiling for any bandwidth-bound threaded scan: 2 threads cannot beat 1 by more than the copy does.
 *
 * Usage: npx tsx benchmarks/scan/copy-scaling.ts [megabytes=240] [rounds=7]
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

const mb = Number(process.argv[2] ?? 240);
const rounds = Number(process.argv[3] ?? 7);
const n = Math.floor((mb * 1e6) / 8 / 2); // source and destination together are `mb` megabytes
const src = new Float64Array(new SharedArrayBuffer(n * 8)).fill(1.5);
const dst = new Float64Array(new SharedArrayBuffer(n * 8));
const control = new Int32Array(new SharedArrayBuffer(16));

// One worker (spinning) copies its half of the range whenever control[0] is bumped, then bumps control[1].
const source = `
const { workerData } = require('node:worker_threads');
const { src, dst, control, from, to } = workerData;
const s = new Float64Array(src), d = new Float64Array(dst), c = new Int32Array(control);
let seen = 0;
for (;;) {
  // Spin, not Atomics.wait: waking a sleeping thread costs 1–2 ms on small VMs, longer than a copy.
  while (Atomics.load(c, 0) === seen) {}
  seen = Atomics.load(c, 0);
  if (seen < 0) break;
  d.set(s.subarray(from, to), from);
  Atomics.add(c, 1, 1);
  Atomics.notify(c, 1);
}`;
const half = Math.floor(n / 2);
const worker = new Worker(source, {
  eval: true,
  workerData: { src: src.buffer, dst: dst.buffer, control: control.buffer, from: half, to: n },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function twoThreads(): Promise<number> {
  const done = Atomics.load(control, 1);
  const t0 = performance.now();
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
  dst.set(src.subarray(0, half), 0);
  while (Atomics.load(control, 1) === done) {}
  return performance.now() - t0;
}
function oneThread(): number {
  const t0 = performance.now();
  dst.set(src);
  return performance.now() - t0;
}

await new Promise((r) => setTimeout(r, 200));
for (let i = 0; i < 3; i++) {
  oneThread();
  await twoThreads();
}
const one: number[] = [];
const two: number[] = [];
for (let i = 0; i < rounds; i++) {
  one.push(oneThread());
  two.push(await twoThreads());
}
const gb = (n * 16) / 1e9; // bytes read + written
console.log(
  JSON.stringify({
    megabytes: mb,
    oneThreadGbps: gb / (median(one) / 1e3),
    twoThreadsGbps: gb / (median(two) / 1e3),
    speedup: median(one) / median(two),
  }),
);
Atomics.store(control, 0, -1);
Atomics.notify(control, 0);
await worker.terminate();
