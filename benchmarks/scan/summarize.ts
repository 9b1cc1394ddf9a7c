/**
 * Summarises a scan-suite results JSON (default benchmarks/results/scan-dev-2core.json) as the Markdown
 * tables of the scan README. Run from the repository root:
 *   npx tsx benchmarks/scan/summarize.ts [results.json] [run]
 */
import { readFileSync } from 'node:fs';

interface Row {
  name: string;
  params: Record<string, string | number | boolean>;
  timing?: { median: number };
  metrics: Record<string, number | string | boolean | null>;
}

const file = process.argv[2] ?? 'benchmarks/results/scan-dev-2core.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[]; uptime?: Record<string, string> };
// Optional second argument: only rows of that run (`run` field, e.g. 'quiet-targets').
const runFilter = process.argv[3];
const rows = report.rows.filter(
  (r) => !r.name.startsWith('memcpy') && (!runFilter || (r as Row & { run?: string }).run === runFilter),
);
const num = (v: unknown, digits = 2) => (typeof v === 'number' ? v.toFixed(digits) : '–');
const find = (pred: (r: Row) => boolean) => rows.find(pred);

if (report.uptime) console.log(`Load (uptime): ${Object.values(report.uptime).join(' → ')}\n`);

console.log('Diagonal float64 sequential scan against TypedArray.set of the same bytes (batch 1):\n');
console.log('| T | n | scan GB/s | memcpy GB/s | fraction |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  if (
    r.name.includes('-scan/') &&
    r.params.structure === 'diagonal' &&
    r.params.dtype === 'float64' &&
    r.params.algorithm === 'sequential' &&
    r.params.batch === 1 &&
    Number(r.params.T) * Number(r.params.n) >= 1e6
  )
    console.log(
      `| ${r.params.T} | ${r.params.n} | ${num(r.metrics.gbps, 1)} | ${num(r.metrics.memcpyGbps, 1)} | ${num(r.metrics.fractionOfMemcpy)} |`,
    );

console.log(
  '\nThreaded backend, 2 threads against 1 thread and against the sequential backend (T ≥ 10⁶, batch 1):\n',
);
console.log('| structure | dtype | T | n | 2 threads / 1 thread | 2 threads / sequential |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  if (
    r.params.algorithm === 'threaded' &&
    r.params.threads === 2 &&
    Number(r.params.T) >= 1e6 &&
    r.params.batch === 1
  )
    console.log(
      `| ${r.params.structure} | ${r.params.dtype} | ${r.params.T} | ${r.params.n} | ${num(r.metrics.speedupVsThreaded1)} | ${num(r.metrics.speedupVsSequential)} |`,
    );

console.log('\nBatched (B = 16), 2 threads against the sequential backend:\n');
console.log('| structure | dtype | T | n | speed-up |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  if (
    r.params.algorithm === 'threaded' &&
    r.params.threads === 2 &&
    Number(r.params.batch) > 1 &&
    r.name.includes('-scan/')
  )
    console.log(
      `| ${r.params.structure} | ${r.params.dtype} | ${r.params.T} | ${r.params.n} | ${num(r.metrics.speedupVsSequential)} |`,
    );

console.log('\nDense sequential scan, GFLOP/s (2n² flops per step, one core):\n');
console.log('| dtype | T | n | GFLOP/s |');
console.log('|---|---|---|---|');
for (const r of rows)
  if (
    r.params.structure === 'dense' &&
    r.params.algorithm === 'sequential' &&
    Number(r.params.n) >= 32 &&
    r.params.batch === 1
  )
    console.log(`| ${r.params.dtype} | ${r.params.T} | ${r.params.n} | ${num(r.metrics.gflops)} |`);

console.log('\nKalman smoother (float64, batch 1), steps per second:\n');
console.log('| structure | T | n | sequential | parallel (associative) |');
console.log('|---|---|---|---|---|');
for (const r of rows)
  if (
    r.name.startsWith('kalman-') &&
    r.params.algorithm === 'sequential' &&
    r.params.dtype === 'float64' &&
    r.params.batch === 1
  ) {
    const par = find(
      (p) =>
        p.name === r.name.replace('/sequential', '/parallel') &&
        p.params.T === r.params.T &&
        p.params.n === r.params.n &&
        p.params.dtype === r.params.dtype &&
        p.params.batch === r.params.batch,
    );
    console.log(
      `| ${r.params.structure} | ${r.params.T} | ${r.params.n} | ${num(r.metrics.stepsPerSecond, 0)} | ${par ? num(par.metrics.stepsPerSecond, 0) : 'skipped'} |`,
    );
  }
