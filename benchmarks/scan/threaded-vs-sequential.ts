/**
 * 2 threads against 1 for one build of @antler/scan, in one process: `affineScanSequential` and the
 * threaded backend (2 threads) timed alternately on the same SharedArrayBuffer-backed diagonal float64
 * operands, after 0.3 s of threaded calls (the workers' JIT). Pass the path of another build's
 * `dist/index.js` to compare code versions side by side, alternating processes; with B = 2 it measures
 * the no-extra-work ceiling (one sequence per thread).
 *
 * Usage: npx tsx benchmarks/scan/threaded-vs-sequential.ts [T=1e6] [n=1] [B=1] [dist=packages/scan/dist/index.js]
 * To build an older version: git archive <rev> packages/scan tsconfig.base.json | tar -x -C /tmp/old,
 * link node_modules from this checkout into /tmp/old and /tmp/old/packages/scan, run
 * `tsc -p tsconfig.build.json` there.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const T = Number(process.argv[2] ?? 1e6);
const n = Number(process.argv[3] ?? 1);
const B = Number(process.argv[4] ?? 1);
const dist = resolve(process.argv[5] ?? 'packages/scan/dist/index.js');
const scan = await import(pathToFileURL(dist).href);
const reps = 15;
const shared = (len: number) => new Float64Array(new SharedArrayBuffer(len * 8));
const a = shared(B * T * n);
const b = shared(B * T * n);
const out = shared(B * T * n);
for (let i = 0; i < a.length; i++) {
  a[i] = 0.99 - (0.05 * ((i * 2654435761) % 1000)) / 1000;
  b[i] = ((i * 40503) % 1000) / 1000 - 0.5;
}
const args = {
  structure: 'diagonal',
  batch: B,
  length: T,
  size: n,
  a: { data: a },
  b: { data: b },
  out: { data: out },
};
const backend = scan.createThreadedBackend({ threads: 2 });
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const time = (f: () => void) => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
for (let i = 0; i < 3; i++) {
  scan.affineScanSequential(args);
  backend.affineScan(args);
}
const warm = performance.now();
while (performance.now() - warm < 300) backend.affineScan(args);
const one: number[] = [];
const two: number[] = [];
for (let i = 0; i < reps; i++) {
  one.push(time(() => scan.affineScanSequential(args)));
  two.push(time(() => backend.affineScan(args)));
}
console.log(
  JSON.stringify({
    dist,
    T,
    n,
    B,
    oneThreadMs: +median(one).toFixed(3),
    twoThreadsMs: +median(two).toFixed(3),
    speedup: +(median(one) / median(two)).toFixed(3),
  }),
);
await backend.dispose();
