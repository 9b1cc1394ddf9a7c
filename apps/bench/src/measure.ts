/** Timing with warm-up and repeats; reports the median and spread (never one lucky run). */
import { performance } from 'node:perf_hooks';

/** Timing statistics of repeated runs, in seconds. */
export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly repeats: number;
  /** Every measured run, in order. */
  readonly samples: readonly number[];
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed runs first (JIT, caches, GPU pipelines); default 1. */
  readonly warmup?: number;
  /** Timed runs; default 5. */
  readonly repeats?: number;
  /** Stop repeating once this many seconds were spent timing (after at least one run); default 20. */
  readonly budgetSeconds?: number;
}

/** Runs `fn` `warmup` times untimed, then up to `repeats` times timed; awaits promises. */
export async function measure(fn: () => unknown, options: MeasureOptions = {}): Promise<Timing> {
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  const budget = options.budgetSeconds ?? 20;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < repeats && (samples.length === 0 || spent < budget)) {
    const t0 = performance.now();
    await fn();
    const dt = (performance.now() - t0) / 1000;
    samples.push(dt);
    spent += dt;
  }
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], repeats: samples.length, samples };
}
