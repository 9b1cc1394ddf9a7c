/**
 * `antler solve`: runs one model (a zoo cell built from PyTorch-named weights) over input sequences read
 * from JSON, with any method, and writes the states and the solver's verdict as JSON.
 *
 * Exit codes: 0 converged, 3 not converged (the states are still written), 2 bad input (one line on
 * stderr naming the problem, through the program's error handler).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { METHODS, type Method, type ScanBackend, type SolveResult } from '@antler/core';
import { createBestCpuBackend, createCpuBackend } from '@antler/scan';
import { solve } from '@antler/solvers';
import { CELL_KINDS, cellFromWeights, parseWeights } from '@antler/zoo';
import { type Command, InvalidArgumentError } from 'commander';
import { computeGradientOutput, readCotangent, writeGradientOutput } from '../train/gradient-output.js';
import { UsageError } from '../usage-error.js';

/** Options of `antler solve` after parsing. */
export interface SolveCommandOptions {
  readonly cell: string;
  readonly weights: string;
  readonly inputs: string;
  readonly h0?: string;
  readonly method: string;
  readonly dtype: string;
  readonly tol?: number;
  readonly maxIter?: number;
  readonly lambda?: number;
  /** Anderson acceleration of quasi-DEER (`anderson` or `none`). */
  readonly acceleration?: string;
  /** State size for cells whose weights do not fix it (lorenz96: the number of variables D). */
  readonly size?: number;
  readonly backend: string;
  readonly out: string;
  /** Also write the gradient of L = Σ⟨g, s⟩ (weights, inputs, h0) to this JSON file. */
  readonly gradOut?: string;
  /** The cotangent g, JSON shaped like the states (default all ones). */
  readonly cotangent?: string;
}

/** The JSON document `antler solve` writes. */
export interface SolveOutput {
  /** States with the nesting of the inputs: `[T][n]` or `[B][T][n]`. */
  readonly states: number[][] | number[][][];
  readonly converged: boolean;
  readonly iterations: number;
  readonly residual: number | null;
  readonly method: Method;
  readonly dtype: string;
  readonly seconds: number;
  readonly backend: string;
  readonly events: readonly string[];
}

/** CPU backends by `--backend` name. */
export const SOLVE_BACKENDS = ['cpu', 'sequential', 'blelloch', 'chunked', 'threaded'] as const;

function makeBackend(name: string): ScanBackend {
  switch (name) {
    case 'cpu':
      return createBestCpuBackend();
    case 'sequential':
    case 'blelloch':
    case 'chunked':
    case 'threaded':
      return createCpuBackend({ algorithm: name });
    default:
      throw new UsageError(
        `--backend: unknown backend '${name}' (expected one of ${SOLVE_BACKENDS.join(', ')})`,
      );
  }
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: ${path} is not valid JSON (${(e as Error).message})`);
  }
}

function isNumberRow(v: unknown, width: number): v is number[] {
  return (
    Array.isArray(v) && v.length === width && v.every((x) => typeof x === 'number' && Number.isFinite(x))
  );
}

/** Flattens `[T][m]` or `[B][T][m]` JSON inputs; returns the values, B, T and whether a batch axis was given. */
export function parseInputs(
  value: unknown,
  m: number,
  path: string,
): { data: Float64Array; batch: number; length: number; batched: boolean } {
  const where = `--inputs ${path}`;
  if (!Array.isArray(value) || value.length === 0) {
    throw new UsageError(`${where}: expected a non-empty JSON array [T][m=${m}] or [B][T][m=${m}]`);
  }
  const batched = Array.isArray(value[0]) && Array.isArray(value[0][0]);
  const seqs = (batched ? value : [value]) as unknown[];
  const T = Array.isArray(seqs[0]) ? (seqs[0] as unknown[]).length : 0;
  if (T === 0) throw new UsageError(`${where}: expected at least one time step`);
  const data = new Float64Array(seqs.length * T * m);
  seqs.forEach((seq, b) => {
    if (!Array.isArray(seq) || seq.length !== T) {
      throw new UsageError(
        `${where}: sequence ${b} has ${Array.isArray(seq) ? seq.length : 'no'} steps, expected T = ${T} like sequence 0`,
      );
    }
    seq.forEach((row, t) => {
      if (!isNumberRow(row, m)) {
        throw new UsageError(
          `${where}: ${batched ? `[${b}]` : ''}[${t}] must be ${m} finite numbers (the cell's input size), got ${JSON.stringify(row)?.slice(0, 60)}`,
        );
      }
      data.set(row, (b * T + t) * m);
    });
  });
  return { data, batch: seqs.length, length: T, batched };
}

/** Reads `--h0`: `[n]` or `[B][n]`. */
export function parseH0(value: unknown, n: number, batch: number, path: string): Float64Array {
  if (isNumberRow(value, n)) return Float64Array.from(value);
  if (Array.isArray(value) && value.length === batch && value.every((r) => isNumberRow(r, n))) {
    return Float64Array.from((value as number[][]).flat());
  }
  throw new UsageError(`--h0 ${path}: expected [n=${n}] or [B=${batch}][n=${n}] finite numbers`);
}

function nest(r: SolveResult, batched: boolean): number[][] | number[][][] {
  const { batch: B, length: T, size: n, states } = r;
  const seqs: number[][][] = [];
  for (let b = 0; b < B; b++) {
    const rows: number[][] = [];
    for (let t = 0; t < T; t++) rows.push(Array.from(states.subarray((b * T + t) * n, (b * T + t + 1) * n)));
    seqs.push(rows);
  }
  return batched ? seqs : seqs[0];
}

/**
 * Runs `antler solve` in-process: reads the files, solves, writes `--out`, and returns the exit code
 * (0 converged, 3 not converged). Bad input throws a {@link UsageError} or an Antler typed error.
 */
export async function runSolveCommand(
  o: SolveCommandOptions,
): Promise<{ exitCode: number; output: SolveOutput }> {
  if (!(CELL_KINDS as readonly string[]).includes(o.cell)) {
    throw new UsageError(`--cell: unknown cell '${o.cell}' (expected one of ${CELL_KINDS.join(', ')})`);
  }
  if (!(METHODS as readonly string[]).includes(o.method)) {
    throw new UsageError(`--method: unknown method '${o.method}' (expected one of ${METHODS.join(', ')})`);
  }
  if (o.dtype !== 'float64' && o.dtype !== 'float32') {
    throw new UsageError(`--dtype: expected float64 or float32, got '${o.dtype}'`);
  }
  if (o.acceleration !== undefined && o.acceleration !== 'anderson' && o.acceleration !== 'none') {
    throw new UsageError(`--acceleration: expected anderson or none, got '${o.acceleration}'`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(o.weights);
  } catch (e) {
    throw new UsageError(
      `--weights: cannot read ${o.weights} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const cell = cellFromWeights(
    o.cell,
    parseWeights(bytes, o.weights),
    o.size === undefined ? {} : { size: o.size },
  );
  const inputs = parseInputs(readJson(o.inputs, '--inputs'), cell.inputSize, o.inputs);
  const h0 =
    o.h0 === undefined ? undefined : parseH0(readJson(o.h0, '--h0'), cell.stateSize, inputs.batch, o.h0);
  if (o.cotangent !== undefined && o.gradOut === undefined)
    throw new UsageError('--cotangent: needs --grad-out');
  const cotangent =
    o.cotangent === undefined
      ? null
      : readCotangent(o.cotangent, inputs.batch, inputs.length, cell.stateSize, inputs.batched);
  const backend = makeBackend(o.backend);
  try {
    const result = await solve(cell, cell.inputSize > 0 ? inputs.data : null, {
      method: o.method as Method,
      dtype: o.dtype,
      batch: inputs.batch,
      length: inputs.length,
      ...(h0 ? { h0 } : {}),
      ...(o.tol !== undefined ? { atol: o.tol, rtol: o.tol } : {}),
      ...(o.maxIter !== undefined ? { maxIter: o.maxIter } : {}),
      ...(o.lambda !== undefined ? { elk: { lambda: o.lambda } } : {}),
      ...(o.acceleration !== undefined ? { acceleration: o.acceleration as 'anderson' | 'none' } : {}),
      backend,
    });
    const output: SolveOutput = {
      states: nest(result, inputs.batched),
      converged: result.converged,
      iterations: result.iterations,
      residual: Number.isFinite(result.residual) ? result.residual : null,
      method: result.method,
      dtype: result.dtype,
      seconds: result.seconds,
      backend: result.backend,
      events: result.events.map((e) => `${e.kind}: ${e.message}`),
    };
    try {
      writeFileSync(o.out, `${JSON.stringify(output)}\n`);
    } catch (e) {
      throw new UsageError(
        `--out: cannot write ${o.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    if (o.gradOut !== undefined) {
      const x = cell.inputSize > 0 ? inputs.data : null;
      const layout = { batched: inputs.batched, h0Batched: !!h0 && h0.length !== cell.stateSize };
      const grad = await computeGradientOutput(cell, x, result, { h0, backend }, cotangent, layout);
      writeGradientOutput(o.gradOut, grad);
    }
    return { exitCode: result.converged ? 0 : 3, output };
  } finally {
    await backend.dispose?.();
  }
}

function positive(value: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a positive number');
  return x;
}

function integer(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError('expected an integer ≥ 1');
  return x;
}

/** Registers `antler solve`. */
export function registerSolveCommand(program: Command): void {
  program
    .command('solve')
    .description('solve a model (zoo cell from PyTorch-named weights) over input sequences from JSON files')
    .requiredOption('--cell <kind>', `cell kind: ${CELL_KINDS.join(', ')}`)
    .requiredOption(
      '--weights <file>',
      'weights: JSON state dict (nested arrays or {shape, data}) or .safetensors',
    )
    .requiredOption('--inputs <file>', 'inputs JSON: [T][m] or [B][T][m]')
    .option('--h0 <file>', 'initial states JSON: [n] or [B][n] (default zeros)')
    .option('--method <m>', `method: ${METHODS.join(', ')}`, 'deer')
    .option('--dtype <d>', 'float64 or float32', 'float64')
    .option('--tol <x>', 'absolute and relative tolerance on the residual and the step', positive)
    .option('--max-iter <n>', 'iteration limit (default T)', integer)
    .option('--lambda <x>', 'ELK damping λ = 1/σ² (default adaptive)', positive)
    .option('--acceleration <a>', 'quasi-DEER acceleration: anderson or none (default none)')
    .option('--size <n>', 'state size for cells whose weights do not fix it (lorenz96: variables D)', integer)
    .option('--backend <name>', `scan backend: ${SOLVE_BACKENDS.join(', ')}`, 'cpu')
    .requiredOption('--out <file>', 'output JSON file')
    .option(
      '--grad-out <file>',
      'also write ∂L/∂(weights, inputs, h0) of L = Σ⟨g, s⟩ as JSON (exact adjoint)',
    )
    .option('--cotangent <file>', 'g for --grad-out, JSON shaped like the states (default all ones)')
    .action(async (opts: SolveCommandOptions) => {
      const { exitCode, output } = await runSolveCommand(opts);
      console.error(
        `antler solve: ${output.method} ${output.converged ? 'converged' : 'did NOT converge'} in ${output.iterations} iterations (max |r| = ${output.residual}), ${output.seconds.toFixed(3)} s → ${opts.out}`,
      );
      process.exitCode = exitCode;
    });
}
