/**
 * `solve` and `solveSync`: the entry points of every method. They validate the problem, pick the backend
 * (falling back to the sequential CPU backend, with an event, when the chosen one lacks the structure or
 * dtype), try a device solver first, and drive the shared {@link solveLoop}.
 */
import {
  BackendUnavailableError,
  type Cell,
  type DeviceSolver,
  type FloatArray,
  type ScanBackend,
  type ScanReport,
  type SolveOptions,
  type SolveResult,
  type SolverEvent,
  supportsAffine,
  supportsKalman,
} from '@antler/core';
import { createBestCpuBackend, createSequentialBackend } from '@antler/scan';
import { applyDivergencePolicy, type ScanCall, sequenceResidual, solveLoop } from './loop.js';
import { METHOD_SPECS } from './methods/method-spec.js';
import { type ResolvedProblem, resolveProblem } from './options.js';
import { runProblemSequence } from './sequential.js';

let defaultBackend: ScanBackend | null = null;

/** The backend used when `options.backend` is absent: `createBestCpuBackend()` from `@antler/scan`, shared. */
export function getDefaultBackend(): ScanBackend {
  defaultBackend ??= createBestCpuBackend();
  return defaultBackend;
}

function isDeviceSolver(b: ScanBackend): b is ScanBackend & DeviceSolver {
  return typeof (b as Partial<DeviceSolver>).solveOnDevice === 'function';
}

/** Picks the backend that will run the scans, recording a `backend-fallback` event when it must substitute. */
function pickBackend(p: ResolvedProblem, requested: ScanBackend, events: SolverEvent[]): ScanBackend {
  if (p.method === 'sequential' || p.method === 'jacobi') return requested;
  const spec = METHOD_SPECS[p.method];
  const ok =
    spec.update === 'levenberg-marquardt'
      ? supportsKalman(requested, p.dtype, spec.structure as 'dense' | 'diagonal')
      : supportsAffine(requested, p.dtype, spec.structure as 'dense' | 'diagonal' | 'block', p.blockSize);
  if (ok) return requested;
  const what =
    spec.update === 'levenberg-marquardt'
      ? `a ${spec.structure} Kalman scan`
      : `a ${spec.structure} affine scan${spec.structure === 'block' ? ` with block size ${p.blockSize}` : ''}`;
  events.push({
    kind: 'backend-fallback',
    message: `backend '${requested.name}' has no ${what} in ${p.dtype}; using the sequential CPU backend`,
  });
  return createSequentialBackend();
}

function sequentialResult(cell: Cell, p: ResolvedProblem, started: number): SolveResult {
  const stepElems = p.length * p.size;
  const states =
    p.dtype === 'float64' ? new Float64Array(p.batch * stepElems) : new Float32Array(p.batch * stepElems);
  const events: SolverEvent[] = [];
  const convergedPer: boolean[] = [];
  const residuals: number[] = [];
  for (let seq = 0; seq < p.batch; seq++) {
    const bad = runProblemSequence(cell, p, seq, states);
    convergedPer.push(bad < 0);
    residuals.push(bad < 0 ? sequenceResidual(cell, p, states, seq) : Number.NaN);
    if (bad >= 0) {
      events.push({
        kind: 'non-finite',
        sequence: seq,
        message: `sequence ${seq}: the sequential loop produced a non-finite state at step t = ${bad + 1}`,
      });
    }
  }
  let residual = 0;
  for (const r of residuals)
    residual = Number.isNaN(r) || Number.isNaN(residual) ? Number.NaN : Math.max(residual, r);
  return {
    states,
    dtype: p.dtype,
    method: 'sequential',
    batch: p.batch,
    length: p.length,
    size: p.size,
    converged: convergedPer.every(Boolean),
    convergedPerSequence: convergedPer,
    iterations: 1,
    iterationsPerSequence: convergedPer.map(() => 1),
    residual,
    history: [],
    events,
    backend: 'none',
    seconds: (performance.now() - started) / 1000,
  };
}

function prepare(
  cell: Cell,
  inputs: FloatArray | null,
  options: SolveOptions,
): { p: ResolvedProblem; backend: ScanBackend; events: SolverEvent[]; requested: ScanBackend } {
  const p = resolveProblem(cell, inputs, options);
  const events: SolverEvent[] = [];
  const requested = options.backend ?? getDefaultBackend();
  return { p, backend: pickBackend(p, requested, events), events, requested };
}

/**
 * Solves s_t = f(s_{t−1}, x_t) for t = 1 … T over a batch with the chosen method, asynchronously (GPU
 * backends return Promises). Every `SolveOptions` field is honoured; see the package README for the
 * methods, tolerances and what each event means. `converged` is true only when every sequence's residual
 * max |s_t − f(s_{t−1}, x_t)| met `atol + rtol·|s_t|`.
 *
 * @example
 * ```ts
 * import { solve } from '@antler/solvers';
 * // s_t = tanh(0.5 s_{t−1} + x_t), n = 1, T = 4.
 * const cell = {
 *   kind: 'tanh', stateSize: 1, inputSize: 1,
 *   step: (h, ho, x, xo, o, oo) => { o[oo] = Math.tanh(0.5 * h[ho] + x[xo]); },
 *   diagonalJacobian: (h, ho, x, xo, f, fo, d, dO) => {
 *     const y = Math.tanh(0.5 * h[ho] + x[xo]); f[fo] = y; d[dO] = 0.5 * (1 - y * y);
 *   },
 * };
 * const result = await solve(cell, new Float64Array([1, -1, 0.5, 2]), { method: 'quasi-deer' });
 * console.log(result.converged, result.iterations, result.states);
 * ```
 */
export async function solve(
  cell: Cell,
  inputs: FloatArray | null,
  options: SolveOptions = {},
): Promise<SolveResult> {
  const started = performance.now();
  const { p, backend, events, requested } = prepare(cell, inputs, options);
  if (p.method === 'sequential') return sequentialResult(cell, p, started);
  if (isDeviceSolver(requested)) {
    const onDevice = requested.solveOnDevice(cell, p.inputs, options);
    if (onDevice) return await onDevice;
  }
  const loop = solveLoop(cell, p, METHOD_SPECS[p.method], backend, events, options, started);
  let step = loop.next();
  while (!step.done) {
    const report: ScanReport = await (step.value as ScanCall);
    step = loop.next(report);
  }
  return step.value;
}

/**
 * The synchronous {@link solve}: the same loop, for backends whose scans return synchronously
 * (`backend.synchronous`, true for every CPU backend of `@antler/scan`). Device solvers are not tried.
 *
 * @example
 * ```ts
 * import { solveSync } from '@antler/solvers';
 * const cell = { kind: 'sq', stateSize: 1, inputSize: 1,
 *   step: (h, ho, x, xo, o, oo) => { o[oo] = h[ho] * h[ho] + 0.5 * x[xo]; } };
 * const r = solveSync(cell, new Float64Array([0, 0.1, 0.2]), { method: 'deer', atol: 1e-12, rtol: 0 });
 * // r.states ≈ [0, 0.05, 0.1025]
 * ```
 */
export function solveSync(cell: Cell, inputs: FloatArray | null, options: SolveOptions = {}): SolveResult {
  const started = performance.now();
  const { p, backend, events } = prepare(cell, inputs, options);
  if (p.method === 'sequential') return sequentialResult(cell, p, started);
  if (!backend.synchronous && p.method !== 'jacobi') {
    throw new BackendUnavailableError(
      backend.name,
      'solveSync needs a synchronous backend (use solve instead)',
    );
  }
  const loop = solveLoop(cell, p, METHOD_SPECS[p.method], backend, events, options, started);
  let step = loop.next();
  while (!step.done) {
    const v = step.value;
    if (v instanceof Promise) {
      throw new BackendUnavailableError(backend.name, 'a scan returned a Promise inside solveSync');
    }
    step = loop.next(v);
  }
  return step.value;
}

export { applyDivergencePolicy };
