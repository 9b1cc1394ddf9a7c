/**
 * The DeviceSolver entry: recognises the cell ({@link packDeviceCell}) and the method, validates the
 * request, splits the batch so that every buffer fits the device's binding limit, and runs the fused
 * Newton loop per group.
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
import type { DeviceCellKernel } from './device-cell-kernel.js';
import { packDeviceCell } from './device-cells.js';
import { denseFits } from './wgsl-fused-dense.js';
import {
  chunking,
  DeviceProblem,
  type FusedMethod,
  fusedStructure,
  unitsPerThread,
} from './device-problem.js';

/**
 * Largest batch group whose biggest buffer (the `[Bg][T][G]` input projections) fits one binding
 * (`kernel` gives G and the threads per chunk; default the GRU's: G = 3n).
 */
export function batchGroupSize(
  ctx: GpuContext,
  B: number,
  T: number,
  n: number,
  kernel?: Pick<DeviceCellKernel, 'width' | 'vec4'>,
): number {
  const limit = Math.min(ctx.device.limits.maxStorageBufferBindingSize, ctx.device.limits.maxBufferSize);
  const width = kernel?.width ?? 3 * n;
  const lanes = n / unitsPerThread(n, kernel);
  // The chunk-interleaved layout pads each sequence to L·C ≥ T rows, and L·C depends on the group size.
  const xpBytes = (g: number) => {
    const { L, C } = chunking(g, T, lanes);
    return 4 * g * L * C * width;
  };
  let g = Math.min(B, Math.floor(limit / (4 * T * width)));
  while (g >= 1 && xpBytes(g) > limit) g--;
  if (g < 1)
    throw new ShapeError(
      'length',
      `at most about ${Math.floor(limit / (4 * width))} steps for n = ${n} on this device (binding limit ${limit} bytes)`,
      String(T),
    );
  return Math.min(B, g);
}

function toF32(a: FloatArray): Float32Array {
  return a instanceof Float32Array ? a : Float32Array.from(a);
}

/**
 * Runs the solve on the device, or returns null when the cell, method or dtype is not supported there:
 * `dtype: 'float32'`, no `clip`, a cell {@link packDeviceCell} knows, and `quasi-deer`, `deer` (dense only
 * where its cooperative workgroup fits the device: {@link denseFits}), or `block-deer` with block size 2
 * on a cell whose Jacobian is exactly 2×2-block-diagonal (para-lstm).
 */
export function solveCellOnDevice(
  ctx: GpuContext,
  cell: Cell,
  inputs: FloatArray,
  options: SolveOptions,
  checkEvery?: number,
): Promise<SolveResult> | null {
  const method = options.method ?? 'deer';
  if (method !== 'quasi-deer' && method !== 'deer' && method !== 'block-deer') return null;
  if (options.dtype !== 'float32' || options.clip !== undefined) return null;
  if (method === 'block-deer' && (options.blockSize ?? cell.blockSize) !== 2) return null;
  const kernel = packDeviceCell(cell);
  if (!kernel) return null;
  const structure = fusedStructure(kernel, method);
  if (!structure || (structure === 'dense' && !denseFits(kernel.n, ctx.device.limits))) return null;
  return run(ctx, kernel, method, inputs, options, checkEvery);
}

/**
 * The former name of {@link solveCellOnDevice} (GRU only then).
 *
 * @deprecated Use {@link solveCellOnDevice}.
 */
export const solveGruOnDevice = solveCellOnDevice;

async function run(
  ctx: GpuContext,
  w: DeviceCellKernel,
  method: FusedMethod,
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
  const G = batchGroupSize(ctx, B, T, n, w);
  const states = new Float32Array(B * T * n);
  const convergedPerSequence: boolean[] = [];
  const iterationsPerSequence: number[] = [];
  const events: SolverEvent[] = [];
  let residual = 0;
  let history: IterationRecord[] = [];
  for (let g0 = 0; g0 < B; g0 += G) {
    const Bg = Math.min(G, B - g0);
    const problem = DeviceProblem.create(
      ctx,
      w,
      Bg,
      T,
      x.subarray(g0 * T * m, (g0 + Bg) * T * m),
      h0.subarray(g0 * n, (g0 + Bg) * n),
      guessArr ? guessArr.subarray(g0 * T * n, (g0 + Bg) * T * n) : null,
    );
    try {
      const stats = await problem.solve(method, {
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
    method,
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
