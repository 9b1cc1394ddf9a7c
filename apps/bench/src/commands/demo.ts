/**
 * `antler demo` — the README's main job: a default GRU evaluated sequentially and with every method, a
 * comparison table (time, iterations, max error vs sequential, speedup), and a report (HTML + JSON).
 */
import { writeFileSync } from 'node:fs';
import { type Method, type ScanBackend, type SolveResult, checkDType } from '@antler/core';
import { createBestCpuBackend, createCpuBackend } from '@antler/scan';
import { solve } from '@antler/solvers';
import { createRandom, randomCell } from '@antler/zoo';
import { type Command, InvalidArgumentError } from 'commander';
import { formatNumber, formatSeconds, renderTable } from '../format.js';
import { machineInfo } from '../machine.js';
import { writeHtmlReport } from '../report/html-report.js';
import type { BenchRow } from '../suites/types.js';
import { UsageError } from '../usage-error.js';

/** Options of `antler demo`. */
export interface DemoOptions {
  hidden: number;
  length: number;
  batch: number;
  dtype: string;
  methods: string;
  backend: string;
  seed: number;
  jacobiMaxIter: number;
  report?: string | false;
  json?: string;
}

/** One line of the demo's table. */
export interface DemoLine {
  readonly method: Method;
  readonly seconds: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** max |s − s_sequential| over every state of every sequence. */
  readonly maxError: number;
  /** Sequential time / this method's time, both measured in this run. */
  readonly speedup: number;
  readonly backend: string;
  readonly result: SolveResult;
}

const ALL_METHODS: readonly Method[] = ['deer', 'quasi-deer', 'elk', 'quasi-elk', 'jacobi'];

function int(value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

async function backendFor(name: string): Promise<ScanBackend> {
  switch (name) {
    case 'cpu':
    case 'sequential':
      return createCpuBackend({ algorithm: 'sequential' });
    case 'threaded':
      return createCpuBackend({ algorithm: 'threaded' });
    case 'auto':
      return createBestCpuBackend();
    case 'webgpu': {
      const { createWebGpuBackend } = await import('@antler/backend-webgpu');
      return createWebGpuBackend();
    }
    default:
      throw new UsageError(`--backend: expected cpu, threaded, auto or webgpu, got '${name}'`);
  }
}

/** Runs the demo and returns its lines (sequential first). Used by the command and by tests. */
export async function runDemo(
  o: DemoOptions,
  log: (line: string) => void = console.error,
): Promise<DemoLine[]> {
  const dtype = checkDType(o.dtype, '--dtype');
  const methods = o.methods === 'all' ? ALL_METHODS : (o.methods.split(',').map((m) => m.trim()) as Method[]);
  for (const m of methods) {
    if (!(ALL_METHODS as readonly string[]).includes(m)) {
      throw new UsageError(
        `--methods: unknown method '${m}'; expected a comma list of ${ALL_METHODS.join(', ')} or all`,
      );
    }
  }
  const { hidden: n, length: T, batch: B } = o;
  const cell = randomCell('gru', { hiddenSize: n, inputSize: n, seed: o.seed }, { variant: 'flax' });
  const rng = createRandom(o.seed + 1);
  const inputs = dtype === 'float64' ? new Float64Array(B * T * n) : new Float32Array(B * T * n);
  for (let i = 0; i < inputs.length; i++) inputs[i] = rng.normal();
  const backend = await backendFor(o.backend);
  log(
    `GRU (Flax variant, hidden ${n}, input ${n}, seed ${o.seed}), T = ${T}, batch ${B}, ${dtype}, inputs N(0, 1), h0 = 0; backend ${backend.name}`,
  );

  const lines: DemoLine[] = [];
  const t0 = performance.now();
  const reference = await solve(cell, inputs, { method: 'sequential', batch: B, dtype });
  const seqSeconds = (performance.now() - t0) / 1000;
  lines.push({
    method: 'sequential',
    seconds: seqSeconds,
    iterations: 1,
    converged: true,
    maxError: 0,
    speedup: 1,
    backend: 'none (plain loop)',
    result: reference,
  });
  log(`sequential: ${formatSeconds(seqSeconds)}`);
  for (const method of methods) {
    const started = performance.now();
    const result = await solve(cell, inputs, {
      method,
      batch: B,
      dtype,
      backend,
      maxIter: method === 'jacobi' ? o.jacobiMaxIter : undefined,
    });
    const seconds = (performance.now() - started) / 1000;
    let maxError = 0;
    for (let i = 0; i < reference.states.length; i++) {
      const e = Math.abs(result.states[i] - reference.states[i]);
      if (!(e <= maxError)) maxError = e; // NaN propagates into the table instead of hiding
    }
    lines.push({
      method,
      seconds,
      iterations: result.iterations,
      converged: result.converged,
      maxError,
      speedup: seqSeconds / seconds,
      backend: result.backend,
      result,
    });
    log(
      `${method}: ${formatSeconds(seconds)}, ${result.iterations} iterations${result.converged ? '' : ' (NOT converged)'}`,
    );
  }
  await backend.dispose?.();
  return lines;
}

/** The demo's lines as bench rows (for the HTML/JSON report). */
export function demoRows(o: DemoOptions, lines: readonly DemoLine[]): BenchRow[] {
  return lines.map((l) => ({
    suite: 'demo',
    name: l.method,
    params: {
      method: l.method,
      n: o.hidden,
      T: o.length,
      batch: o.batch,
      dtype: o.dtype,
      backend: l.backend,
    },
    timing: { median: l.seconds, min: l.seconds, max: l.seconds, repeats: 1, samples: [l.seconds] },
    metrics: {
      iterations: l.iterations,
      converged: l.converged,
      maxErrorVsSequential: l.maxError,
      speedupVsSequential: l.speedup,
      events: l.result.events.map((e) => e.kind).join(',') || null,
    },
    series:
      l.method === 'sequential'
        ? undefined
        : {
            maxResidual: l.result.history.map((h) => h.maxResidual),
            maxStep: l.result.history.map((h) => h.maxStep),
          },
  }));
}

/** Renders the demo table. */
export function renderDemoTable(lines: readonly DemoLine[]): string {
  return renderTable(
    [
      'method',
      'time',
      'iterations',
      'converged',
      'max |error| vs sequential',
      'speedup vs sequential',
      'scan backend',
    ],
    lines.map((l) => [
      l.method,
      formatSeconds(l.seconds),
      String(l.iterations),
      l.converged ? 'yes' : 'NO',
      l.method === 'sequential' ? '(reference)' : formatNumber(l.maxError),
      `${l.speedup.toFixed(2)}×`,
      l.backend,
    ]),
  );
}

/** Registers `antler demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'evaluate a default GRU sequentially and with every method; print a comparison table and write a report',
    )
    .option('-n, --hidden <n>', 'hidden size n (input size is n too)', int, 16)
    .option('-T, --length <T>', 'sequence length T', int, 10_000)
    .option('-B, --batch <B>', 'batch size', int, 4)
    .option('--dtype <dtype>', 'float64 or float32', 'float64')
    .option('--methods <list>', `comma list of ${ALL_METHODS.join(', ')}, or all`, 'all')
    .option(
      '--backend <name>',
      'scan backend: cpu (sequential scans), threaded, auto (best CPU), webgpu',
      'auto',
    )
    .option('--seed <n>', 'seed of the weights and inputs', int, 1)
    .option('--jacobi-max-iter <n>', 'iteration limit of the Jacobi (fixed-point) method', int, 500)
    .option('--report <file>', 'HTML report to write', 'antler-report.html')
    .option('--no-report', 'write no HTML report')
    .option('--json <file>', 'also write the rows as JSON')
    .addHelpText(
      'after',
      '\nOn a 2-core CPU the sequential loop is expected to win: parallel methods do more total work for less depth,\nand pay off on wide hardware (see antler bench --suite gpu). The table says so honestly.',
    )
    .action(async (o: DemoOptions) => {
      const lines = await runDemo(o);
      console.log(renderDemoTable(lines));
      const rows = demoRows(o, lines);
      const doc = { tool: 'antler demo', machine: machineInfo(), options: o, rows };
      if (o.report) {
        writeHtmlReport(o.report, { ...doc, title: 'Antler demo: a GRU, every method' });
        console.error(`wrote ${o.report}`);
      }
      if (o.json) {
        writeFileSync(o.json, `${JSON.stringify(doc, null, 1)}\n`);
        console.error(`wrote ${o.json}`);
      }
      if (lines.some((l) => !l.converged)) process.exitCode = 3;
    });
}
