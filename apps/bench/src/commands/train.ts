/**
 * `antler train`: trains a GRU classifier on noisy sine waves of length T through the fixed point — with
 * DEER, quasi-DEER (exact adjoint) and sequential BPTT from the same seed — and writes the loss curves as
 * JSON and as a self-contained SVG plot, with wall time per step and the iterations saved by warm starts.
 */
import { writeFileSync } from 'node:fs';
import { METHODS, type Method } from '@antler/core';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { formatNumber, formatSeconds, renderTable } from '../format.js';
import { machineInfo } from '../machine.js';
import { type RunSummary, runTrainExperiment, type TrainExperimentResult } from '../train/experiment.js';
import { type PlotSeries, renderLossPlot } from '../train/loss-plot.js';
import { createTrainingGru, trainingSolver } from '../train/model.js';
import { UsageError } from '../usage-error.js';

/** Options of `antler train` (after parsing). */
export interface TrainCommandOptions {
  methods: string;
  length: number;
  hidden: number;
  trainSize: number;
  testSize: number;
  batchSize: number;
  steps: number;
  lr: number;
  seed: number;
  noise: number;
  atol?: number;
  rtol?: number;
  maxIter?: number;
  warmStartComparison: boolean;
  probeEvery?: number;
  out: string;
  progress: boolean;
}

/** The JSON document `antler train` writes. */
export interface TrainReport extends TrainExperimentResult {
  readonly tool: 'antler train';
  readonly machine: ReturnType<typeof machineInfo>;
}

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a positive number');
  return x;
}

function nonNegativeNumber(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return x;
}

function parseMethods(spec: string): Method[] {
  const methods = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const supported: readonly Method[] = METHODS.filter((m) => m !== 'block-deer');
  for (const m of methods) {
    if (!supported.includes(m as Method))
      throw new UsageError(`--methods: unknown method '${m}'; known: ${supported.join(', ')}`);
  }
  if (methods.length === 0) throw new UsageError('--methods: expected at least one method');
  return methods as Method[];
}

const COLORS: Record<string, string> = {
  deer: '#1f77b4',
  'quasi-deer': '#d62728',
  sequential: '#2ca02c',
  elk: '#9467bd',
  'quasi-elk': '#8c564b',
  jacobi: '#7f7f7f',
};
const DASHES: Record<string, string | undefined> = {
  deer: undefined,
  'quasi-deer': '8 5',
  sequential: '2 4',
};

/** Runs the experiment behind `antler train` (exported for tests). */
export async function runTrainCommand(
  opts: TrainCommandOptions,
  log: (line: string) => void = console.error,
): Promise<TrainReport> {
  const methods = parseMethods(opts.methods);
  if (opts.batchSize > opts.trainSize)
    throw new UsageError(`--batch-size ${opts.batchSize} exceeds --train-size ${opts.trainSize}`);
  const showBar = opts.progress && process.stderr.isTTY;
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format: ' {bar} {percentage}% | {run} step {step}/{steps} | loss {loss} | {iters} it | {sec}/step',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  const result = await runTrainExperiment({
    methods,
    length: opts.length,
    hidden: opts.hidden,
    trainCount: opts.trainSize,
    testCount: opts.testSize,
    batchSize: opts.batchSize,
    steps: opts.steps,
    learningRate: opts.lr,
    seed: opts.seed,
    noise: opts.noise,
    atol: opts.atol,
    rtol: opts.rtol,
    maxIter: opts.maxIter,
    compareWarmStart: opts.warmStartComparison,
    probeInterval: opts.probeEvery,
    createCell: createTrainingGru,
    solver: trainingSolver,
    onStep: async (run, record) => {
      const done = run.index * opts.steps + record.step;
      const payload = {
        run: run.method,
        step: record.step,
        steps: opts.steps,
        loss: record.loss.toFixed(4),
        iters: record.iterations,
        sec: formatSeconds(record.seconds),
      };
      if (bar) {
        if (!started) {
          bar.start(run.total * opts.steps, done, payload);
          started = true;
        } else bar.update(done, payload);
        // Let the bar's timer draw between synchronous solver steps.
        await new Promise((resolve) => setImmediate(resolve));
      } else if (record.step === opts.steps || record.step % Math.max(1, Math.floor(opts.steps / 4)) === 0) {
        log(
          `${payload.run}: step ${record.step}/${opts.steps} loss ${payload.loss} (${payload.iters} iterations, ${payload.sec}/step)`,
        );
      }
    },
  });
  if (bar && started) bar.stop();
  return { tool: 'antler train', machine: machineInfo(), ...result };
}

/** The summary table printed after training. */
export function renderTrainSummary(report: TrainReport): string {
  const rows = report.runs.map((r: RunSummary) => [
    r.method,
    formatSeconds(r.medianStepSeconds),
    formatSeconds(r.medianForwardSeconds),
    formatSeconds(r.medianBackwardSeconds),
    formatNumber(r.meanIterations),
    r.adjointPath,
    r.finalLoss.toFixed(4),
    `${(100 * r.testAccuracy).toFixed(1)}%`,
  ]);
  const table = renderTable(
    [
      'method',
      'median s/step',
      'forward',
      'backward',
      'iterations/step',
      'adjoint',
      'final loss (last 5)',
      'test accuracy',
    ],
    rows,
  );
  const warm = report.warmStart.map(
    (w) =>
      `${w.method}: ${formatNumber(w.warm)} iterations/step warm-started vs ${formatNumber(w.cold)} from zeros on the same ${w.steps} step${w.steps === 1 ? '' : 's'} (${(100 * w.savedFraction).toFixed(0)}% saved)`,
  );
  return [table, ...warm].join('\n');
}

/** Writes `<out>.json`, `<out>.svg` (loss curves) and `<out>-iterations.svg` (warm vs cold iterations). */
export function writeTrainOutputs(report: TrainReport, out: string): string[] {
  const json = `${out}.json`;
  const svg = `${out}.svg`;
  writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  const series: PlotSeries[] = report.runs.map((r) => ({
    label: `${r.method} (${formatSeconds(r.medianStepSeconds)}/step)`,
    values: r.losses,
    color: COLORS[r.method] ?? '#000',
    dash: DASHES[r.method],
  }));
  const c = report.config;
  writeFileSync(
    svg,
    renderLossPlot(
      `GRU (n = ${c.hidden}) on noisy sines, T = ${c.length}: training through the fixed point`,
      series,
      `batch ${c.batchSize}, Adam lr ${c.learningRate}, seed ${c.seed}; same seed for every method`,
    ),
  );
  const files = [json, svg];
  const parallel = report.runs.filter((r) => r.method !== 'sequential');
  if (parallel.length > 0) {
    const iterSvg = `${out}-iterations.svg`;
    const iterSeries: PlotSeries[] = parallel.flatMap((r) => [
      { label: `${r.method}, warm start`, values: r.iterations, color: COLORS[r.method] ?? '#000' },
      {
        label: `${r.method}, from zeros`,
        values: r.coldIterations.map((v) => v ?? Number.NaN),
        color: COLORS[r.method] ?? '#000',
        dash: '3 3',
      },
    ]);
    writeFileSync(
      iterSvg,
      renderLossPlot(
        'Newton iterations per training step: warm start vs zeros',
        iterSeries,
        'same parameters and mini-batch for each pair (probed steps only for "from zeros")',
        'iterations',
      ),
    );
    files.push(iterSvg);
  }
  return files;
}

/** Registers `antler train`. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'train a GRU on a long noisy-sine task through the fixed point (DEER, quasi-DEER, sequential BPTT; same seed)',
    )
    .option('-m, --methods <list>', 'comma-separated forward methods', 'deer,quasi-deer,sequential')
    .option('-T, --length <T>', 'sequence length', integer(2), 2000)
    .option('--hidden <n>', 'GRU hidden size', integer(1), 8)
    .option('--train-size <N>', 'training sequences', integer(1), 48)
    .option('--test-size <N>', 'held-out sequences for the final accuracy', integer(1), 64)
    .option('-b, --batch-size <B>', 'sequences per mini-batch', integer(1), 16)
    .option('-s, --steps <k>', 'optimiser steps', integer(1), 30)
    .option('--lr <x>', 'Adam step size', positiveNumber, 0.1)
    .option('--seed <k>', 'seed of data, weights and batch order', integer(0), 1)
    .option('--noise <sigma>', 'noise standard deviation of the inputs', nonNegativeNumber, 0.3)
    .option(
      '--atol <x>',
      'solver absolute tolerance (default: the solver default for float64)',
      positiveNumber,
    )
    .option('--rtol <x>', 'solver relative tolerance', nonNegativeNumber)
    .option('--max-iter <k>', 'solver iteration limit (default T)', integer(1))
    .option(
      '--no-warm-start-comparison',
      'skip the paired cold-start solves that measure the warm-start saving',
    )
    .option(
      '--probe-every <k>',
      'solve every k-th warm-started step from zeros too (untimed) to measure the saving',
      integer(1),
      3,
    )
    .option(
      '-o, --out <prefix>',
      'write <prefix>.json, <prefix>.svg and <prefix>-iterations.svg',
      'antler-train',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (opts: TrainCommandOptions) => {
      const report = await runTrainCommand(opts);
      console.log(renderTrainSummary(report));
      for (const file of writeTrainOutputs(report, opts.out)) console.error(`wrote ${file}`);
    });
}
