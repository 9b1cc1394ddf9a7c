/**
 * Two-thread against one-thread speed of the threaded scan on a shared machine, counting only the
 * rounds in which both cores are actually free. Each round: a 10 ms probe (two threads spinning at once
 * must take no longer than one alone, within 15 %), then 5 calls of the 1-thread backend, 5 of the
 * 2-thread backend, 5 of the 1-thread backend again (medians), then the probe again. Run from the
 * repository root:
 *   npx tsx benchmarks/scan/quiet-threads.ts [T=1e6] [n=1] [B=1] [rounds=30]
 */
import { Worker } from 'node:worker_threads';
import { createThreadedBackend } from '../../packages/scan/src/index.js';

const T = Number(process.argv[2] ?? 1e6);
const n = Number(process.argv[3] ?? 1);
const B = Number(process.argv[4] ?? 1);
const rounds = Number(process.argv[5] ?? 30);

const probeSource = `const { parentPort } = require('node:worker_threads');
function spin(k) { let x = 1.0001, s = 0; for (let i = 0; i < k; i++) s = s * x + 1e-9; return s; }
parentPort.on('message', (m) => {
  const t0 = performance.now(); spin(m.k); m.out[0] = performance.now() - t0;
  Atomics.store(m.flag, 0, 1); Atomics.notify(m.flag, 0);
});`;

function spin(k: number): number {
  const x = 1.0001;
  let s = 0;
  for (let i = 0; i < k; i++) s = s * x + 1e-9;
  return s;
}

const probeWorker = new Worker(probeSource, { eval: true });
probeWorker.unref();
const probeOut = new Float64Array(new SharedArrayBuffer(8));
const probeFlag = new Int32Array(new SharedArrayBuffer(4));

/** Time of two threads spinning at once over the time of one alone (≈ 1 when two cores are free). */
function probe(): number {
  let t0 = performance.now();
  spin(7e6);
  const alone = performance.now() - t0;
  probeFlag[0] = 0;
  probeWorker.postMessage({ k: 7e6, out: probeOut, flag: probeFlag });
  t0 = performance.now();
  spin(7e6);
  const mine = performance.now() - t0;
  while (Atomics.load(probeFlag, 0) === 0) Atomics.wait(probeFlag, 0, 0);
  return Math.max(mine, probeOut[0]) / alone;
}

async function main(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const shared = () => new Float64Array(new SharedArrayBuffer(B * T * n * 8));
  const a = shared();
  const b = shared();
  const out = shared();
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296 - 0.5;
  };
  for (let i = 0; i < a.length; i++) {
    a[i] = 2 * 0.99 * rand();
    b[i] = rand();
  }
  const args = {
    structure: 'diagonal' as const,
    batch: B,
    length: T,
    size: n,
    a: { data: a },
    b: { data: b },
    out: { data: out },
  };
  const one = createThreadedBackend({ threads: 1 });
  const two = createThreadedBackend({ threads: 2 });
  for (let i = 0; i < 5; i++) {
    one.affineScan(args);
    two.affineScan(args);
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  const time = (backend: typeof one) => {
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      backend.affineScan(args);
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const quiet: number[] = [];
  const all: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const before = probe();
    const t1 = time(one);
    const t2 = time(two);
    const t1again = time(one);
    const after = probe();
    const ratio = (t1 + t1again) / 2 / t2;
    all.push(ratio);
    if (before < 1.15 && after < 1.15) quiet.push(ratio);
  }
  const fmt = (v: number[]) => v.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `T=${T} n=${n} B=${B}: 2-thread/1-thread speedup, median of ${quiet.length}/${rounds} quiet rounds: ` +
      `${quiet.length ? median(quiet).toFixed(2) : '–'} [${fmt(quiet)}]; median of all rounds ${median(all).toFixed(2)}`,
  );
  await one.dispose();
  await two.dispose();
  await probeWorker.terminate();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
