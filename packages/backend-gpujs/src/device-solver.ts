/**
 * DEER and quasi-DEER with the whole Newton iteration on the gpu.js device, for cells made by
 * {@link gpuCell}. One gpu.js pipeline per iteration: f and Jacobian kernels (diagonal for quasi-DEER,
 * dense for DEER) → linearisation kernel → scan (chunked for 1×1 and 2×2 problems, Hillis–Steele
 * passes for n > 2) → extraction of the new trajectory, all resident on the device; then one readback
 * of the new trajectory and of f, from which the host takes the convergence decision (residual of the
 * current iterate, per sequence).
 */
import {
  type Cell,
  ConvergenceError,
  checkInteger,
  checkLength,
  type FloatArray,
  type IterationRecord,
  type SolveOptions,
  type SolveResult,
  type SolverEvent,
  ShapeError,
} from '@antler/core';
import type { GPU, IPipelineRunShortcut } from 'gpu.js';
import { MAX_DENSE_SIZE } from './affine-args.js';
import {
  EXTRACT_PACKED_SOURCE,
  EXTRACT_ROWS_SOURCE,
  EXTRACT_SOURCE,
  LINEARIZE_DENSE_SOURCE,
  LINEARIZE_SOURCE,
} from './device-kernels.js';
import { type GpuCell, isGpuCell, previousStates } from './gpu-cell.js';
import {
  CHUNK_APPLY_2_SOURCE,
  CHUNK_APPLY_SOURCE,
  CHUNK_REDUCE_2_SOURCE,
  CHUNK_REDUCE_SOURCE,
  chunkCount,
  DEFAULT_CHUNK_LENGTH,
} from './chunked-kernel.js';
import { MAX_PACKED_ELEMENTS, passDistances, SCAN_PASS_SOURCE } from './scan-kernel.js';
import type { PlanExecution } from './scan-plans.js';

/**
 * Why {@link solveOnGpuJs} declines a call (it then returns null and the caller solves on the host), or
 * null when it runs it. With `inputs`, the problem size is checked too.
 */
export function deviceSolveUnsupported(
  cell: Cell,
  options: SolveOptions,
  inputs?: FloatArray,
): string | null {
  const method = options.method ?? 'deer';
  if (method !== 'quasi-deer' && method !== 'deer')
    return `method ${method} (only deer and quasi-deer run on the device)`;
  if ((options.dtype ?? 'float64') !== 'float32')
    return `dtype ${options.dtype ?? 'float64'} (gpu.js computes in float32 only)`;
  if (!isGpuCell(cell))
    return `cell kind ${cell.kind} (only cells made by gpuCell compile to gpu.js kernels)`;
  if (method === 'quasi-deer' && !cell.kernelSources.diagonal)
    return 'the gpuCell has neither a diagonal nor a jacobian function';
  if (method === 'deer' && !cell.kernelSources.jacobian) return 'deer needs the gpuCell jacobian function';
  if (method === 'deer' && cell.stateSize > MAX_DENSE_SIZE)
    return `deer on the device is limited to n ≤ ${MAX_DENSE_SIZE} (O(n³ T log T) scan work)`;
  if (options.clip !== undefined) return 'clip (not implemented on the device)';
  if (options.elk) return 'elk options';
  if (inputs) {
    const B = options.batch ?? 1;
    const T = cell.inputSize > 0 ? inputs.length / (B * cell.inputSize) : (options.length ?? 0);
    const n = cell.stateSize;
    const largest = method === 'deer' ? B * (T + 1) * (n * n + n) : B * n * (T + 1) * 2;
    if (largest > MAX_PACKED_ELEMENTS) {
      return `B, n, T = ${B}, ${n}, ${T} needs ${largest} floats per kernel, above ${MAX_PACKED_ELEMENTS} (float32 thread indices)`;
    }
  }
  return null;
}

/**
 * Runs DEER (cells with `jacobian`, n ≤ 16) or quasi-DEER (cells with `diagonal` or `jacobian`) on
 * `gpu` for a {@link gpuCell}; returns null (and runs nothing) when the call is not
 * supported there (see {@link deviceSolveUnsupported}). With `cache`, the compiled kernels are kept for
 * the next solve of the same cell, method and shape; `observe` receives how gpu.js executed the
 * iteration's pipeline (executor kind, mode, fallback reason).
 */
export function solveOnGpuJs(
  gpu: GPU,
  backendName: string,
  cell: Cell,
  inputs: FloatArray,
  options: SolveOptions,
  expectedMode: string = gpu.mode,
  cache?: DeviceSolvePlanCache,
  observe?: (execution: PlanExecution) => void,
): Promise<SolveResult> | null {
  if (deviceSolveUnsupported(cell, options, inputs) !== null) return null;
  return run(gpu, backendName, cell as GpuCell, inputs, options, expectedMode, cache, observe);
}

interface Kernel {
  destroy?: () => void;
}

/** The compiled kernels and the gpu.js pipeline of one iteration, for one (cell, method, B, T). */
interface DeviceSolvePlan {
  readonly pipeline: IPipelineRunShortcut;
  readonly kernels: Kernel[];
}

/**
 * Compiled device-solve plans kept between solves of the same cell, method and shape (least recently
 * used first out): building one compiles every kernel of the iteration (WGSL translation and pipeline
 * creation on webgpu), which costs more than a whole solve of a small problem.
 */
export class DeviceSolvePlanCache {
  private readonly plans = new Map<string, DeviceSolvePlan>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  /** Builds made so far (a measure of cache misses). */
  builds = 0;
  /** @param capacity plans kept (default 4) */
  constructor(readonly capacity = 4) {}

  /** @internal The plan for `key` parts, built by `make` on a miss. */
  async get(cell: object, key: string, make: () => DeviceSolvePlan): Promise<DeviceSolvePlan> {
    let id = this.ids.get(cell);
    if (id === undefined) this.ids.set(cell, (id = this.nextId++));
    const k = `${id}|${key}`;
    let plan = this.plans.get(k);
    if (plan) this.plans.delete(k);
    else {
      plan = make();
      this.builds++;
    }
    this.plans.set(k, plan);
    while (this.plans.size > this.capacity) {
      const [oldKey, old] = this.plans.entries().next().value as [string, DeviceSolvePlan];
      this.plans.delete(oldKey);
      await destroyPlan(old);
    }
    return plan;
  }

  /** Destroys every kept plan. */
  async clear(): Promise<void> {
    const all = [...this.plans.values()];
    this.plans.clear();
    for (const p of all) await destroyPlan(p);
  }
}

async function destroyPlan(plan: DeviceSolvePlan): Promise<void> {
  await plan.pipeline.destroy();
  for (const kern of plan.kernels) kern.destroy?.();
}

function buildPlan(
  gpu: GPU,
  cell: GpuCell,
  method: 'deer' | 'quasi-deer',
  B: number,
  T: number,
): DeviceSolvePlan {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const constants = { ...cell.kernelConstants, gcN: n, gcM: Math.max(m, 1), gcT: T };
  const kernels: Kernel[] = [];
  const mkc = (src: string, output: number, c: Record<string, number | Float32Array>) => {
    const kern = gpu.createKernel(src as never, {
      output: [output],
      constants: c,
      tactic: 'precision',
    }) as unknown as Kernel & ((...a: unknown[]) => unknown);
    kernels.push(kern);
    return kern;
  };
  const mk = (src: string, output: number) => mkc(src, output, constants);
  const fK = mk(cell.kernelSources.step, B * T * n);
  const L = DEFAULT_CHUNK_LENGTH;
  const C = chunkCount(T, L);
  const chunkConstants = { T, L, C };
  let pipeline: IPipelineRunShortcut;
  if (method === 'quasi-deer') {
    // Diagonal Jacobian: B·n independent scalar recurrences, chunked scan (see chunked-kernel.ts).
    const dK = mk(cell.kernelSources.diagonal as string, B * T * n);
    const linK = mk(LINEARIZE_SOURCE, B * n * T * 2);
    const reduceK = mkc(CHUNK_REDUCE_SOURCE, B * n * C * 2, chunkConstants);
    const passK = mkc(SCAN_PASS_SOURCE, B * n * C * 2, { k: 1, S: 2, T: C });
    const applyK = mkc(CHUNK_APPLY_SOURCE, B * n * T, chunkConstants);
    const extK = mk(EXTRACT_SOURCE, B * (T + 1) * n);
    const distances = passDistances(C);
    pipeline = gpu.createPipeline((p: unknown, x: unknown) => {
      const f = fK(p, x);
      const e = linK(f, dK(p, x), p);
      let agg = reduceK(e);
      for (const dist of distances) agg = passK(agg, dist);
      return [extK(applyK(e, agg), p), f] as never;
    });
  } else {
    // Dense Jacobian: B recurrences of n×n matrices; chunked scan for n ≤ 2, Hillis–Steele above.
    const S = n * n + n;
    const jK = mk(cell.kernelSources.jacobian as string, B * T * n * n);
    const linK = mk(LINEARIZE_DENSE_SOURCE, B * T * S);
    if (n <= 2) {
      const reduceK = mkc(n === 1 ? CHUNK_REDUCE_SOURCE : CHUNK_REDUCE_2_SOURCE, B * C * S, chunkConstants);
      const passK = mkc(SCAN_PASS_SOURCE, B * C * S, { k: n, S, T: C });
      const applyK = mkc(n === 1 ? CHUNK_APPLY_SOURCE : CHUNK_APPLY_2_SOURCE, B * T * n, chunkConstants);
      const extK = mk(EXTRACT_ROWS_SOURCE, B * (T + 1) * n);
      const distances = passDistances(C);
      pipeline = gpu.createPipeline((p: unknown, x: unknown) => {
        const f = fK(p, x);
        const e = linK(f, jK(p, x), p);
        let agg = reduceK(e);
        for (const dist of distances) agg = passK(agg, dist);
        return [extK(applyK(e, agg), p), f] as never;
      });
    } else {
      const passK = mkc(SCAN_PASS_SOURCE, B * T * S, { k: n, S, T });
      const extK = mk(EXTRACT_PACKED_SOURCE, B * (T + 1) * n);
      const distances = passDistances(T);
      pipeline = gpu.createPipeline((p: unknown, x: unknown) => {
        const f = fK(p, x);
        let e = linK(f, jK(p, x), p);
        for (const dist of distances) e = passK(e, dist);
        return [extK(e, p), f] as never;
      });
    }
  }

  return { pipeline, kernels };
}

async function run(
  gpu: GPU,
  backendName: string,
  cell: GpuCell,
  inputs: FloatArray,
  options: SolveOptions,
  expectedMode: string,
  cache: DeviceSolvePlanCache | undefined,
  observe: ((execution: PlanExecution) => void) | undefined,
): Promise<SolveResult> {
  const started = performance.now();
  const method = options.method === 'quasi-deer' ? 'quasi-deer' : 'deer';
  const n = cell.stateSize;
  const m = cell.inputSize;
  const B = checkInteger(options.batch ?? 1, 'batch');
  let T: number;
  if (m > 0) {
    if (
      !(inputs instanceof Float64Array || inputs instanceof Float32Array) ||
      inputs.length % (B * m) !== 0
    ) {
      throw new ShapeError('inputs', `[B=${B}][T][m=${m}]`, `length ${inputs?.length}`);
    }
    T = inputs.length / (B * m);
    if (options.length !== undefined && options.length !== T)
      throw new ShapeError('length', `${T} (from inputs)`, String(options.length));
  } else {
    T = checkInteger(options.length, 'length');
  }
  checkInteger(T, 'length');
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-3;
  const maxIter = options.maxIter ?? T;
  let h0: Float32Array | null = null;
  if (options.h0) {
    if (options.h0.length === n) {
      h0 = new Float32Array(B * n);
      for (let b = 0; b < B; b++) h0.set(options.h0, b * n);
    } else h0 = Float32Array.from(checkLength('h0', options.h0, [B, n], ['B', 'n']));
  }
  // Initial trajectory s_1 … s_T.
  const guess = new Float32Array(B * T * n);
  const init = options.initialGuess ?? 'zeros';
  if (init === 'h0' && h0) {
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) guess.set(h0.subarray(b * n, b * n + n), (b * T + t) * n);
  } else if (typeof init !== 'string') {
    guess.set(checkLength('initialGuess', init, [B, T, n], ['B', 'T', 'n']));
  }
  let prev = previousStates(B, T, n, guess, h0, false);
  const xs = m > 0 ? Float32Array.from(inputs) : new Float32Array(1);

  const plan = cache
    ? await cache.get(cell, `${method}|${B}|${T}`, () => buildPlan(gpu, cell, method, B, T))
    : buildPlan(gpu, cell, method, B, T);
  const { pipeline } = plan;
  const history: IterationRecord[] = [];
  const events: SolverEvent[] = [];
  const states = new Float32Array(B * T * n);
  const done = new Array<boolean>(B).fill(false);
  const converged = new Array<boolean>(B).fill(false);
  const iterationsPerSequence = new Array<number>(B).fill(0);
  const seqResidual = new Float64Array(B);
  let iterations = 0;
  let lastStep = 0;
  try {
    for (let k = 0; k <= maxIter && done.includes(false); k++) {
      options.signal?.throwIfAborted();
      const round = (await pipeline(prev, xs)) as unknown as [ArrayLike<number>, ArrayLike<number>];
      const [next, f] = round;
      if (k === 0) {
        observe?.({
          executorKind: pipeline.executorKind,
          backend: pipeline.backend ?? null,
          fallbackReason: pipeline.fallbackReason ?? null,
        });
      }
      if (k === 0 && pipeline.backend && pipeline.backend !== expectedMode) {
        events.push({
          kind: 'backend-fallback',
          message: `gpu.js ran this solve's kernels on '${pipeline.backend}', not '${expectedMode}'${
            pipeline.fallbackReason ? ` (${pipeline.fallbackReason})` : ''
          }`,
        });
      }
      // Residual of the current iterate s^k (rows 1…T of prev) and the step to s^{k+1}.
      let nextStep = 0;
      let maxResidual = 0;
      let sumSq = 0;
      let active = 0;
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        let ok = true;
        let finite = true;
        let res = 0;
        for (let t = 0; t < T; t++)
          for (let i = 0; i < n; i++) {
            const s = prev[(b * (T + 1) + t + 1) * n + i];
            const r = s - f[(b * T + t) * n + i];
            const st = next[(b * (T + 1) + t + 1) * n + i] - s;
            if (r - r !== 0 || st - st !== 0) finite = false;
            const ar = Math.abs(r);
            if (ar > atol + rtol * Math.abs(s)) ok = false;
            res = Math.max(res, ar);
            sumSq += r * r;
            nextStep = Math.max(nextStep, Math.abs(st));
          }
        maxResidual = Math.max(maxResidual, res);
        seqResidual[b] = res;
        if (!finite) {
          done[b] = true;
          events.push({
            kind: 'non-finite',
            iteration: k + 1,
            sequence: b,
            message: `sequence ${b}: non-finite residual or update at iteration ${k + 1}; stopped iterating it`,
          });
          copyRows(prev, states, b, T, n);
          iterationsPerSequence[b] = k;
        } else if (ok) {
          // s^k is verified by its residual: keep it (k Newton updates produced it).
          done[b] = true;
          converged[b] = true;
          copyRows(prev, states, b, T, n);
          iterationsPerSequence[b] = k;
        } else if (k === maxIter) {
          done[b] = true;
          copyRows(prev, states, b, T, n);
          iterationsPerSequence[b] = k;
        } else active++;
      }
      if (k > 0) {
        // Record k describes the iterate s^k: the step that produced it and its residual.
        const rec: IterationRecord = {
          iteration: k,
          maxStep: lastStep,
          maxResidual,
          residualNorm: Math.sqrt(sumSq),
          active,
        };
        history.push(rec);
        options.onProgress?.({ ...rec, maxIter });
      }
      lastStep = nextStep;
      iterations = k;
      prev = Float32Array.from(next as ArrayLike<number>);
    }
  } finally {
    if (!cache) await destroyPlan(plan);
  }
  for (let b = 0; b < B; b++)
    if (!converged[b] && !events.some((e) => e.sequence === b && e.kind === 'non-finite'))
      events.push({
        kind: 'max-iterations',
        sequence: b,
        message: `sequence ${b}: residual ${seqResidual[b].toExponential(2)} above tolerance after ${maxIter} iterations`,
      });
  let residual = 0;
  for (let b = 0; b < B; b++) residual = Math.max(residual, seqResidual[b]);
  const result: SolveResult = {
    states,
    dtype: 'float32',
    method,
    batch: B,
    length: T,
    size: n,
    converged: converged.every((c) => c),
    convergedPerSequence: converged,
    iterations,
    iterationsPerSequence,
    residual,
    history,
    events,
    backend: backendName,
    seconds: (performance.now() - started) / 1000,
  };
  if (!result.converged) {
    const policy = options.onDivergence ?? 'report';
    if (policy === 'throw') {
      throw new ConvergenceError(
        `${method} on ${backendName} did not converge (residual ${residual.toExponential(2)})`,
        result,
      );
    }
    if (policy === 'fallback-sequential') return sequentialFallback(cell, inputs, h0, result);
  }
  return result;
}

function copyRows(prev: Float32Array, states: Float32Array, b: number, T: number, n: number): void {
  states.set(prev.subarray((b * (T + 1) + 1) * n, (b * (T + 1) + T + 1) * n), b * T * n);
}

/** Replaces unconverged sequences by the plain sequential loop (cell.step in float64), with an event each. */
function sequentialFallback(
  cell: GpuCell,
  inputs: FloatArray,
  h0: Float32Array | null,
  r: SolveResult,
): SolveResult {
  const { batch: B, length: T, size: n } = r;
  const m = cell.inputSize;
  const states = Float32Array.from(r.states);
  const events = [...r.events];
  const conv = [...r.convergedPerSequence];
  const h = new Float64Array(n);
  const out = new Float64Array(n);
  const x = new Float64Array(Math.max(m, 1));
  for (let b = 0; b < B; b++) {
    if (conv[b]) continue;
    for (let i = 0; i < n; i++) h[i] = h0 ? h0[b * n + i] : 0;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < m; j++) x[j] = inputs[(b * T + t) * m + j];
      cell.step(h, 0, x, 0, out, 0);
      h.set(out);
      for (let i = 0; i < n; i++) states[(b * T + t) * n + i] = out[i];
    }
    conv[b] = true;
    events.push({
      kind: 'fallback-sequential',
      sequence: b,
      message: `sequence ${b}: solved by the sequential loop on the CPU`,
    });
  }
  // Residual of the returned trajectory, in float64 from the stored (float32) states.
  let residual = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n; i++) h[i] = h0 ? h0[b * n + i] : 0;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < m; j++) x[j] = inputs[(b * T + t) * m + j];
      cell.step(h, 0, x, 0, out, 0);
      for (let i = 0; i < n; i++) {
        const s = states[(b * T + t) * n + i];
        residual = Math.max(residual, Math.abs(s - out[i]));
        h[i] = s;
      }
    }
  }
  return { ...r, states, events, residual, convergedPerSequence: conv, converged: true };
}
