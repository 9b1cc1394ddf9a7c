/**
 * The DeviceSolver entry: validates a solve request for a GRU cell, splits the batch so that every
 * buffer fits the device's binding limit, and runs the fused quasi-DEER loop per group.
 */
import {
  type Cell,
  checkInteger,
  type FloatArray,
  type IterationRecord,
  ShapeError,
  type SolveOptions,
  type SolveResult,
  type SolverEvent,
} from '@antler/core';
import { checkAlive, type GpuContext } from './gpu-context.js';
import { chunking, GruDeviceProblem, unitsPerThread } from './gru-device-problem.js';
import { type GruWeights, packGru } from './gru-weights.js';

/** Largest batch group whose biggest buffer (the `[Bg][T][3n]` input projections) fits one binding. */
export function batchGroupSize(ctx: GpuContext, B: number, T: number, n: number): number {
  const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
  const lanes = n / unitsPerThread(n);
  // The chunk-interleaved layout pads each sequence to L·C ≥ T rows, and L·C depends on the group size.
  const xpBytes = (g: number) => {
    const { L, C } = chunking(g, T, lanes);
    return 4 * g * L * C * 3 * n;
  };
  let g = Math.min(B, Math.floor(limit / (4 * T * 3 * n)));
  while (g >= 1 && xpBytes(g) > limit) g--;
  if (g < 1)
    throw new ShapeError(
      'length',
      `at most about ${Math.floor(limit / (12 * n))} steps for n = ${n} on this device (binding limit ${limit} bytes)`,
      String(T),
    );
  return Math.min(B, g);
}

function toF32(a: FloatArray): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/** Runs the solve on the device, or returns null when the cell/method/dtype is not supported there. */
export function solveGruOnDevice(
  ctx: GpuContext,
  cell: Cell,
  inputs: FloatArray,
  options: SolveOptions,
  checkEvery?: number,
): Promise<SolveResult> | null {
  const method = options.method ?? 'deer';
  if ((method !== 'quasi-deer' && method !== 'deer') || options.dtype !== 'float32') return null;
  if (options.clip !== undefined) return null;
  const weights = packGru(cell);
  if (!weights) return null;
  return run(ctx, weights, inputs, options, checkEvery);
}

async function run(
  ctx: GpuContext,
  w: GruWeights,
  inputs: FloatArray,
  options: SolveOptions,
  checkEvery?: number,
): Promise<SolveResult> {
  const start = performance.now();
  checkAlive(ctx);
  const { n, m } = w;
  const B = checkInteger(options.batch ?? 1, 'batch');
  if (!(inputs instanceof Float32Array || inputs instanceof Float64Array))
    throw new ShapeError('inputs', `a Float32Array [B][T][m=${m}]`, String(inputs));
  if (m === 0 || inputs.length % (B * m) !== 0)
    throw new ShapeError(
      'inputs',
      `[B=${B}][T][m=${m}] (a multiple of ${B * m} elements)`,
      `length ${inputs.length}`,
    );
  const T = checkInteger(options.length ?? inputs.length / (B * m), 'length');
  if (inputs.length !== B * T * m)
    throw new ShapeError('inputs', `[B=${B}][T=${T}][m=${m}]`, `length ${inputs.length}`);
  const h0 = new Float32Array(B * n);
  if (options.h0) {
    if (options.h0.length === n) for (let b = 0; b < B; b++) h0.set(options.h0, b * n);
    else if (options.h0.length === B * n) h0.set(options.h0);
    else throw new ShapeError('h0', `[n=${n}] or [B=${B}][n=${n}]`, `length ${options.h0.length}`);
  }
  const guess = options.initialGuess ?? 'zeros';
  let guessArr: Float32Array | null = null;
  if (guess === 'h0') {
    guessArr = new Float32Array(B * T * n);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) guessArr.set(h0.subarray(b * n, b * n + n), (b * T + t) * n);
  } else if (guess !== 'zeros') {
    if (guess.length !== B * T * n)
      throw new ShapeError('initialGuess', `[B=${B}][T=${T}][n=${n}]`, `length ${guess.length}`);
    guessArr = toF32(guess);
  }
  const x = toF32(inputs);
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-3;
  const maxIter = checkInteger(options.maxIter ?? T, 'maxIter', 0);
  const G = batchGroupSize(ctx, B, T, n);
  const states = new Float32Array(B * T * n);
  const convergedPerSequence: boolean[] = [];
  const iterationsPerSequence: number[] = [];
  const events: SolverEvent[] = [];
  let residual = 0;
  let history: IterationRecord[] = [];
  for (let g0 = 0; g0 < B; g0 += G) {
    const Bg = Math.min(G, B - g0);
    const problem = GruDeviceProblem.create(
      ctx,
      w,
      Bg,
      T,
      x.subarray(g0 * T * m, (g0 + Bg) * T * m),
      h0.subarray(g0 * n, (g0 + Bg) * n),
      guessArr ? guessArr.subarray(g0 * T * n, (g0 + Bg) * T * n) : null,
    );
    try {
      const stats = await problem.solve(options.method === 'quasi-deer' ? 'quasi-deer' : 'deer', {
        atol,
        rtol,
        maxIter,
        checkEvery,
        batchOffset: g0,
        signal: options.signal,
        onRecord: G === B && options.onProgress ? (r) => options.onProgress?.({ ...r, maxIter }) : undefined,
      });
      states.set(await problem.readStates(), g0 * T * n);
      for (const s of stats.status) convergedPerSequence.push(s === 1);
      iterationsPerSequence.push(...stats.iterationsPerSequence);
      for (const r of stats.residualPerSequence) residual = Number.isNaN(r) || r > residual ? r : residual;
      events.push(...stats.events);
      history = mergeHistory(history, stats.history);
    } finally {
      problem.destroy();
    }
  }
  if (G < B)
    events.push({
      kind: 'backend-fallback',
      message: `batch split into groups of ${G} (device binding limit); history records merge the groups by iteration`,
    });
  return {
    states,
    dtype: 'float32',
    method: options.method === 'quasi-deer' ? 'quasi-deer' : 'deer',
    batch: B,
    length: T,
    size: n,
    converged: convergedPerSequence.every(Boolean),
    convergedPerSequence,
    iterations: Math.max(0, ...iterationsPerSequence),
    iterationsPerSequence,
    residual,
    history,
    events,
    backend: 'webgpu',
    seconds: (performance.now() - start) / 1000,
  };
}

function mergeHistory(a: IterationRecord[], b: readonly IterationRecord[]): IterationRecord[] {
  const out = new Map<number, IterationRecord>();
  for (const r of a) out.set(r.iteration, r);
  for (const r of b) {
    const o = out.get(r.iteration);
    out.set(
      r.iteration,
      o
        ? {
            iteration: r.iteration,
            maxStep: Math.max(o.maxStep, r.maxStep),
            maxResidual: Math.max(o.maxResidual, r.maxResidual),
            residualNorm: Math.hypot(o.residualNorm, r.residualNorm),
            active: o.active + r.active,
          }
        : r,
    );
  }
  return [...out.values()].sort((p, q) => p.iteration - q.iteration);
}
