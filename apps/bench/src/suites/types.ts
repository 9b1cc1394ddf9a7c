/** The contract every benchmark suite implements; `antler bench --suite <name>` runs them. */
import type { Timing } from '../measure.js';

/** What a suite gets from the CLI. */
export interface BenchContext {
  /** `--sizes` as given (suite-specific syntax, e.g. `n=8,32;T=1e4,1e5`), or undefined for defaults. */
  readonly sizes?: string;
  /** `--backend` as given, or undefined for the suite's default. */
  readonly backend?: string;
  /** `--quick`: smallest sizes only, for tests and smoke runs. */
  readonly quick: boolean;
  /** Timed repeats per measurement. */
  readonly repeats: number;
  /** Untimed warm-up runs per measurement. */
  readonly warmup: number;
  /** Reports progress for the progress bar. */
  progress(label: string, done: number, total: number): void;
  /** A line for the human-readable log (stderr). */
  log(message: string): void;
}

/** One measured configuration. Ratios are always computed from measurements taken in the same run. */
export interface BenchRow {
  /** Suite name. */
  readonly suite: string;
  /** What was measured (for example `diagonal-scan/chunked`). */
  readonly name: string;
  /** Parameters: sizes, dtype, threads, method, backend, … */
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** Timing of the measured operation, if timed. */
  readonly timing?: Timing;
  /** Derived numbers: GB/s, speedup, iterations, max error, … */
  readonly metrics: Readonly<Record<string, number | string | boolean | null>>;
  /** Per-iteration series for convergence plots (for example max |Δs| per iteration). */
  readonly series?: Readonly<Record<string, readonly number[]>>;
}

/** A benchmark suite. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
