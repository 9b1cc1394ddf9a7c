/**
 * `antler solve --grad-out <file> [--cotangent <file>]`: the gradient of L = Σ_t ⟨g_t, s_t⟩ with respect to
 * every weight (PyTorch state_dict names, nested like their shapes), the inputs and h0, computed by the
 * exact adjoint at the solved trajectory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Cell, FloatArray, SolveOptions, SolveResult } from '@antler/core';
import { differentiateSolution } from '@antler/solvers';
import { UsageError } from '../usage-error.js';

/** Nested JSON numbers. */
export type Nested = number | Nested[];

/** The JSON document `--grad-out` writes. */
export interface GradientOutput {
  /** L = Σ_t ⟨g_t, s_t⟩ at the solved trajectory. */
  readonly loss: number;
  /** ∂L/∂θ by PyTorch state_dict name, nested like each parameter's shape. */
  readonly weights: Record<string, Nested>;
  /** ∂L/∂x with the nesting of the inputs file (`[T][m]` or `[B][T][m]`). */
  readonly inputs: Nested;
  /** ∂L/∂h0: `[n]` when h0 was given as `[n]` or the input has no batch axis, else `[B][n]`. */
  readonly h0: Nested;
  /** `exact` (the default adjoint) or `approximate-diagonal`. */
  readonly adjoint: string;
  /** How the adjoint ran (`dense-reverse-scan` or `vjp-sequential`). */
  readonly path: string;
  /** False when the forward solve did not converge: the gradient is then that of a wrong trajectory. */
  readonly converged: boolean;
  readonly seconds: number;
  readonly notes: readonly string[];
}

/** Row-major `data` as nested arrays of `shape`. */
export function nestArray(data: ArrayLike<number>, shape: readonly number[]): Nested {
  if (shape.length === 0) return data[0];
  const build = (offset: number, axis: number): Nested => {
    const d = shape[axis];
    if (axis === shape.length - 1) return Array.from({ length: d }, (_, i) => data[offset + i]);
    const stride = shape.slice(axis + 1).reduce((p, v) => p * v, 1);
    return Array.from({ length: d }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}

/**
 * Reads a cotangent JSON shaped like the states (`[T][n]` without a batch axis, `[B][T][n]` with one) and
 * flattens it; throws a UsageError naming the file and the expected shape otherwise.
 */
export function readCotangent(
  path: string,
  batch: number,
  length: number,
  size: number,
  batched: boolean,
): Float64Array {
  const shape = batched ? `[B=${batch}][T=${length}][n=${size}]` : `[T=${length}][n=${size}]`;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(
      `--cotangent: cannot read ${path} as JSON (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const flat = (batched ? value : [value]) as unknown;
  const out = new Float64Array(batch * length * size);
  const ok =
    Array.isArray(flat) &&
    flat.length === batch &&
    flat.every(
      (seq, b) =>
        Array.isArray(seq) &&
        seq.length === length &&
        seq.every((row, t) => {
          if (
            !Array.isArray(row) ||
            row.length !== size ||
            !row.every((v) => typeof v === 'number' && Number.isFinite(v))
          )
            return false;
          out.set(row as number[], (b * length + t) * size);
          return true;
        }),
    );
  if (!ok)
    throw new UsageError(`--cotangent ${path}: expected ${shape} finite numbers (shaped like the states)`);
  return out;
}

/** Computes the gradient document for a finished solve. */
export async function computeGradientOutput(
  cell: Cell,
  inputs: FloatArray | null,
  result: SolveResult,
  solveOptions: SolveOptions,
  cotangent: Float64Array | null,
  layout: { batched: boolean; h0Batched: boolean },
): Promise<GradientOutput> {
  const { batch: B, length: T, size: n } = result;
  const g = cotangent ?? new Float64Array(B * T * n).fill(1);
  const { loss, gradient } = await differentiateSolution(cell, inputs, result, g, solveOptions, {
    onUnconverged: 'report',
  });
  const weights: Record<string, Nested> = {};
  for (const [name, t] of Object.entries(cell.parameters ?? {}))
    weights[name] = nestArray(gradient.params[name], t.shape);
  const m = cell.inputSize;
  const h0Shape = gradient.h0.length === n ? [n] : [B, n];
  return {
    loss,
    weights,
    inputs: m === 0 ? [] : nestArray(gradient.inputs, layout.batched ? [B, T, m] : [T, m]),
    h0: nestArray(gradient.h0, layout.batched || layout.h0Batched ? h0Shape : [n]),
    adjoint: gradient.mode,
    path: gradient.path,
    converged: gradient.converged,
    seconds: gradient.seconds,
    notes: result.converged
      ? gradient.notes
      : [...gradient.notes, 'the forward solve did NOT converge: this is the gradient at a wrong trajectory'],
  };
}

/** Writes the gradient document; a write failure is a UsageError naming `--grad-out`. */
export function writeGradientOutput(path: string, output: GradientOutput): void {
  try {
    writeFileSync(path, `${JSON.stringify(output)}\n`);
  } catch (e) {
    throw new UsageError(
      `--grad-out: cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}
