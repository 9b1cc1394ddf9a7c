/** `antler bench`: runs benchmark suites with warm-up and repeats and writes their rows as JSON. */
import { writeFileSync } from 'node:fs';
import { BackendUnavailableError } from '@antler/core';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../usage-error.js';
import { formatNumber, formatSeconds, renderTable } from '../format.js';
import { machineInfo } from '../machine.js';
import { writeHtmlReport } from '../report/html-report.js';
import { findSuite, suites } from '../suites/registry.js';
import type { BenchContext, BenchRow } from '../suites/types.js';

/** Options of `antler bench`. */
export interface BenchOptions {
  suite: string;
  backend?: string;
  sizes?: string;
  json?: string;
  /** Write a self-contained HTML report (charts + table) to this file. */
  html?: string;
  quick?: boolean;
  repeats: number;
  warmup: number;
  progress?: boolean;
}

/** The JSON document `antler bench --json` writes. */
export interface BenchReport {
  readonly tool: 'antler bench';
  readonly machine: ReturnType<typeof machineInfo>;
  readonly options: Omit<BenchOptions, 'json' | 'html'>;
  readonly rows: readonly BenchRow[];
  /** Suites of `--suite all` that could not run here, with the reason. */
  readonly skipped: readonly { readonly suite: string; readonly reason: string }[];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Runs the selected suites and returns the report (also used by `antler demo` and tests). */
export async function runBench(
  options: BenchOptions,
  log: (line: string) => void = console.error,
): Promise<BenchReport> {
  const selected = options.suite === 'all' ? suites : [findSuite(options.suite)];
  if (selected.some((s) => !s)) {
    throw new UsageError(
      `unknown suite '${options.suite}'; known: ${[...suites.map((s) => s.name), 'all'].join(', ')}`,
    );
  }
  const showBar = options.progress !== false && process.stderr.isTTY;
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: ' {bar} {percentage}% | {suite}: {label}', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const rows: BenchRow[] = [];
  const skipped: { suite: string; reason: string }[] = [];
  for (const suite of selected) {
    if (!suite) continue;
    let started = false;
    const ctx: BenchContext = {
      sizes: options.sizes,
      backend: options.backend,
      quick: !!options.quick,
      repeats: options.repeats,
      warmup: options.warmup,
      progress(label, done, total) {
        if (!bar) return;
        if (!started) {
          bar.start(total, done, { suite: suite.name, label });
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done, { suite: suite.name, label });
        }
      },
      log(message) {
        if (bar && started) bar.stop();
        started = false;
        log(message);
      },
    };
    log(`suite ${suite.name}: ${suite.description}`);
    let out: BenchRow[];
    try {
      out = await suite.run(ctx);
    } catch (err) {
      if (bar && started) bar.stop();
      // With --suite all, a suite whose backend cannot run here (no GPU adapter) is skipped, saying why;
      // asked for by name, it fails.
      if (options.suite === 'all' && err instanceof BackendUnavailableError) {
        log(`suite ${suite.name} skipped: ${err.message}`);
        skipped.push({ suite: suite.name, reason: err.message });
        continue;
      }
      throw err;
    }
    if (bar && started) bar.stop();
    rows.push(...out);
  }
  const { json: _json, html: _html, ...rest } = options;
  return { tool: 'antler bench', machine: machineInfo(), options: rest, rows, skipped };
}

/** Renders bench rows as a text table: one line per row with its parameters, median time and metrics. */
export function renderRows(rows: readonly BenchRow[]): string {
  const body = rows.map((r) => [
    r.suite,
    r.name,
    Object.entries(r.params)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' '),
    r.timing
      ? `${formatSeconds(r.timing.median)} (${formatSeconds(r.timing.min)}–${formatSeconds(r.timing.max)}, ×${r.timing.repeats})`
      : '–',
    Object.entries(r.metrics)
      .map(([k, v]) => `${k}=${formatNumber(v)}`)
      .join(' '),
  ]);
  return renderTable(['suite', 'name', 'params', 'median (min–max, runs)', 'metrics'], body);
}

/** Registers `antler bench` on the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run benchmark suites (warm-up, repeats, median and spread; ratios from the same run)')
    .addOption(new Option('-s, --suite <name>', 'suite to run, or all').default('all').argParser((v) => v))
    .option('-b, --backend <name>', 'backend for suites that take one (e.g. cpu, threaded, webgpu, gpujs)')
    .option('--sizes <spec>', 'sizes, suite-specific (e.g. "n=8,32;T=1e4,1e5")')
    .option('--quick', 'smallest sizes only (smoke run)')
    .option('-r, --repeats <n>', 'timed repeats per measurement', positiveInt, 5)
    .option('-w, --warmup <n>', 'untimed warm-up runs per measurement', positiveInt, 1)
    .option('--json <file>', 'write the rows, machine and options as JSON')
    .option('--html <file>', 'write a self-contained HTML report (charts, machine, data table)')
    .option('--no-progress', 'no progress bar')
    .addHelpText(
      'after',
      () => `\nSuites: ${suites.map((s) => `${s.name} (${s.description})`).join('; ') || 'none registered'}`,
    )
    .action(async (opts: BenchOptions) => {
      const report = await runBench(opts);
      console.log(renderRows(report.rows));
      if (opts.json) {
        writeFileSync(opts.json, `${JSON.stringify(report, null, 1)}\n`);
        console.error(`wrote ${opts.json}`);
      }
      if (opts.html) {
        writeHtmlReport(opts.html, report);
        console.error(`wrote ${opts.html}`);
      }
    });
}
