/**
 * A batch of sequences of one cell resident on the GPU, with the fused Newton loops (diagonal, dense and
 * 2×2-block Jacobians) and the plain sequential evaluation. Cell-independent: the cell enters only
 * through its {@link DeviceCellKernel} (packed weights and WGSL snippet). Everything stays on the
 * device; the host reads back per-sequence status words and a small history ring every `checkEvery`
 * iterations, and the states only when asked.
 */
import { type IterationRecord, ShapeError, type SolverEvent } from '@antler/core';
import { checkAlive, f32Bits, type GpuContext, storageBuffer, uniformBuffer } from './gpu-context.js';
import type { DeviceCellKernel, DeviceStructure } from './device-cell-kernel.js';
import { pipeline } from './pipelines.js';
import { grid, STEP_NON_FINITE_THRESHOLD } from './wgsl-common.js';

/** Host-side value of the step-violation sentinel threshold (see wgsl-common). */
const STEP_NON_FINITE_LIMIT = Number(STEP_NON_FINITE_THRESHOLD);
import {
  checkWgsl,
  diagApplyWgsl,
  diagLinAggWgsl,
  HISTORY_FIELDS,
  projectWgsl,
  sequentialWgsl,
  TICK_WGSL,
} from './wgsl-fused.js';
import { blockAggWgsl, blockApplyWgsl } from './wgsl-fused-block.js';
import {
  COOPERATIVE_FROM,
  denseAggWgsl,
  denseFits,
  denseApplyWgsl,
  denseCoopAggWgsl,
  denseCoopApplyWgsl,
} from './wgsl-fused-dense.js';
import { CARRY_WGSL } from './wgsl-scan.js';
import { chunkScanPrefetchWgsl } from './wgsl-fused-chunk-scan.js';
import { carryCheckWgsl } from './wgsl-fused-carry.js';

/**
 * Partial results (one per phase-1 thread) that the latency path of the quasi-DEER loop may reduce in
 * all, summed over its n-fold repeated per-sequence reductions.
 */
export const LATENCY_PATH_MAX_PARTIALS = 1 << 23;

/**
 * Whether the diagonal loop of a problem with B sequences of C chunks (U state components per phase-1
 * thread) takes the three-dispatch latency path (carries, check and counter in one kernel) rather
 * than the five-dispatch one (by default): when the check's n-fold repeated reductions read at most
 * {@link LATENCY_PATH_MAX_PARTIALS} partial results in all (it also needs seven storage buffers per
 * kernel, which every device that runs phase 3 has). Measured on an H100 (GRU, B = 16, quasi-DEER to
 * atol 1e-6, three vs five dispatches): n = 8, T = 1e4 0.95 vs 1.72 ms; n = 8, T = 1e5 3.72 vs 5.42 ms;
 * n = 32, T = 1e4 3.07 vs 3.63 ms; n = 32, T = 1e5 (8.4M partials) 19.6 vs 20.5 ms. Larger sizes (n = 64)
 * keep the five-dispatch loop, unmeasured.
 */
export function latencyPath(B: number, C: number, n: number, U: number): boolean {
  return B * n * C * (n / U) <= LATENCY_PATH_MAX_PARTIALS;
}

/** Settings of {@link DeviceProblem.solve}. */
export interface FusedSolveSettings {
  readonly atol: number;
  readonly rtol: number;
  /** Newton updates allowed. */
  readonly maxIter: number;
  /** Iterations encoded per submission between status readbacks (default 4). */
  readonly checkEvery?: number;
  /** Index of this problem's first sequence in the caller's batch (for events). */
  readonly batchOffset?: number;
  readonly onRecord?: (r: IterationRecord) => void;
  readonly signal?: AbortSignal;
  /**
   * Dispatches per quasi-DEER (diagonal) iteration: `'latency'` three (the check and the update counter
   * folded into the carry kernel), `'throughput'` five (separate check and counter kernels; no repeated
   * reductions), `'auto'` (default) chooses by size ({@link latencyPath}). Both give the same iterates
   * up to float32 rounding of the carries, the same stopping decisions and history. Other structures
   * always run the five-dispatch loop.
   */
  readonly loop?: 'auto' | 'latency' | 'throughput';
  /**
   * Chunks per sequence of the DEER and block-DEER loops (their chunk maps are scanned sequentially
   * per sequence); default {@link deerChunks}. Ignored by quasi-DEER.
   */
  readonly chunks?: number;
}

/**
 * Default chunks per sequence of the DEER / block-DEER loops for T steps: min(1024, ⌈T/64⌉). Measured
 * on an H100 (GRU, B = 16, DEER to atol 1e-6): T = 1e4, n = 8: 40 chunks 6.0 ms, 80 3.6, 160 2.2, 313
 * 2.6, 625 3.0; n = 32: 80 11.1, 160 10.4, 313 11.8, 625 16.1; T = 1e5, n = 8: 256 12.9, 512 9.6, 1024
 * 8.4, 2048 11.5.
 */
export function deerChunks(T: number): number {
  return Math.max(1, Math.min(1024, Math.ceil(T / 64)));
}

/** What a fused solve found, per sequence of this problem. */
export interface FusedSolveStats {
  /** 0 still active (iteration limit), 1 converged, 2 stopped on a non-finite value. */
  readonly status: readonly number[];
  readonly iterationsPerSequence: readonly number[];
  /** max |r_t| of each sequence's final iterate. */
  readonly residualPerSequence: readonly number[];
  /** Updates encoded in total (including no-op tail iterations after every sequence stopped). */
  readonly updates: number;
  readonly history: readonly IterationRecord[];
  readonly events: readonly SolverEvent[];
  /** Status readbacks (host round trips). */
  readonly readbacks: number;
}

/**
 * Shortest chunk (steps) that {@link chunking} makes: shorter chunks only lengthen the carry scan over
 * chunks. Measured on an H100, GRU n = 8, B = 16, T = 1e4, quasi-DEER to atol 1e-6: chunks of 2 steps
 * 0.95 ms, 5 steps 0.76 ms, 10 steps 0.80 ms, 20 steps 1.13 ms.
 */
export const MIN_CHUNK_STEPS = 5;

/**
 * Chunk length L and count C so that about 2^18 threads run phases 1 and 3 (`lanes` = threads per
 * (sequence, chunk)), with chunks of at least `minSteps` steps (default {@link MIN_CHUNK_STEPS}).
 */
export function chunking(
  B: number,
  T: number,
  lanes: number,
  targetThreads = 1 << 18,
  minSteps = MIN_CHUNK_STEPS,
): { L: number; C: number } {
  const C0 = Math.max(
    1,
    Math.min(T, Math.ceil(targetThreads / (B * lanes)), Math.floor(T / Math.max(1, minSteps))),
  );
  const L = Math.ceil(T / C0);
  return { L, C: Math.ceil(T / L) };
}

/**
 * Units of state each quasi-DEER phase-1/phase-3 thread handles: 4 (vec4 kernels) when n is a multiple
 * of 4 and the cell has vec4 kernels (default: the GRU's), else 1.
 */
export function unitsPerThread(n: number, kernel?: Pick<DeviceCellKernel, 'vec4'>): number {
  const vec4 = kernel ? kernel.vec4 !== undefined : true;
  return vec4 && n % 4 === 0 ? 4 : 1;
}

/**
 * Bytes of device memory a quasi-DEER problem of this size allocates (projection width G, default the
 * GRU's 3n).
 */
export function problemBytes(B: number, T: number, n: number, m: number, width = 3 * n): number {
  const { L, C } = chunking(B, T, n / unitsPerThread(n));
  const R = L * C;
  return 4 * (B * T * m + B * R * width + 2 * B * (R + 1) * n + B * C * n * 9 + (m + 1) * width + width * n);
}

/** Methods the fused loop runs. */
export type FusedMethod = 'quasi-deer' | 'deer' | 'block-deer';

/**
 * The Jacobian structure `method` uses on a cell: quasi-DEER the diagonal; DEER the cell's exact
 * structure (dense, or the diagonal / 2×2 blocks of cells that are exactly so — then DEER costs O(n) per
 * step); block-DEER (k = 2) the 2×2 blocks of cells whose Jacobian is exactly block-diagonal. Null when
 * the cell cannot run the method on the GPU.
 */
export function fusedStructure(kernel: DeviceCellKernel, method: FusedMethod): DeviceStructure | null {
  if (method === 'quasi-deer') return 'diagonal';
  if (method === 'deer')
    return kernel.jacobian === 'dense' ? (kernel.dense ? 'dense' : null) : kernel.jacobian;
  return kernel.jacobian === 'block2' ? 'block2' : null;
}

type Bound = [GPUComputePipeline, GPUBindGroup];
type Step = [GPUComputePipeline, GPUBindGroup, number, number];

interface Work {
  readonly ring: number;
  readonly latency: boolean;
  /** Chunks per sequence of the DEER loops (0 for quasi-DEER). */
  readonly chunks: number;
  readonly status: GPUBuffer;
  readonly hist: GPUBuffer;
  readonly stepPart: GPUBuffer;
  readonly staging: GPUBuffer;
  readonly structure: DeviceStructure;
  /**
   * Per parity: phase 1, the convergence check (alone, or fused with the carries on the latency path),
   * and the phases after the check.
   */
  readonly groups: { lin: Step; check: Step; rest: Step[] }[];
  /** The separate counter advance; null on the latency path, whose check kernel advances it. */
  readonly tick: Bound | null;
  /** The method's own uniform whose tolerance words must be refreshed per solve (DEER), if any. */
  readonly tolUniform: GPUBuffer | null;
  readonly buffers: GPUBuffer[];
}

/**
 * A batch of one cell's sequences on the GPU. Create with {@link DeviceProblem.create}; call `destroy()`
 * when done.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend, DeviceProblem, packDeviceCell } from '@antler/backend-webgpu';
 * import { createElman } from '@antler/zoo';
 * const gpu = await createWebGpuBackend({ dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' });
 * const kernel = packDeviceCell(createElman({ hiddenSize: 8, inputSize: 8, seed: 0 }));
 * if (!kernel) throw new Error('not a GPU cell');
 * const x = Float32Array.from({ length: 2 * 100 * 8 }, (_, i) => Math.sin(i));
 * const p = DeviceProblem.create(gpu.context, kernel, 2, 100, x, new Float32Array(16), null);
 * const stats = await p.solve('deer', { atol: 1e-5, rtol: 1e-4, maxIter: 100 });
 * const states = await p.readStates(); // [2][100][8]
 * p.destroy();
 * ```
 */
export class DeviceProblem {
  private readonly buffers: GPUBuffer[] = [];
  private states: [GPUBuffer, GPUBuffer];
  private parity = 0;
  private readonly L: number;
  private readonly C: number;
  /** Units per thread in phases 1 and 3. */
  private readonly U: number;
  private work: Work | null = null;
  /** Time rows per sequence in the chunk-interleaved layout (L·C ≥ T). */
  readonly rows: number;
  private atol = 0;
  private rtol = 0;
  private xp: GPUBuffer;
  private wh: GPUBuffer;
  private solveUniform: GPUBuffer | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    readonly kernel: DeviceCellKernel,
    readonly B: number,
    readonly T: number,
    targetThreads: number,
  ) {
    this.U = unitsPerThread(kernel.n, kernel);
    const { L, C } = chunking(B, T, kernel.n / this.U, targetThreads);
    this.L = L;
    this.C = C;
    this.rows = L * C;
    this.states = [undefined, undefined] as unknown as [GPUBuffer, GPUBuffer];
    this.xp = undefined as unknown as GPUBuffer;
    this.wh = undefined as unknown as GPUBuffer;
  }

  /**
   * Uploads inputs `[B][T][m]`, h0 `[B][n]` and the starting trajectory `[B][T][n]` (zeros when null)
   * and computes the input projections once.
   */
  static create(
    ctx: GpuContext,
    kernel: DeviceCellKernel,
    B: number,
    T: number,
    inputs: Float32Array,
    h0: Float32Array,
    guess: Float32Array | null,
    /** Threads aimed at in phases 1 and 3 (default 2^18; smaller means fewer, longer chunks). */
    targetThreads = 1 << 18,
  ): DeviceProblem {
    checkAlive(ctx);
    const p = new DeviceProblem(ctx, kernel, B, T, targetThreads);
    const { n, m, width } = kernel;
    const d = ctx.device;
    const R1 = p.rows + 1;
    const s = new Float32Array(B * R1 * n);
    for (let b = 0; b < B; b++) {
      s.set(h0.subarray(b * n, b * n + n), b * R1 * n);
      if (guess)
        for (let t = 0; t < T; t++)
          s.set(guess.subarray((b * T + t) * n, (b * T + t + 1) * n), p.stateRow(b, t) * n);
    }
    p.states = [p.track(storageBuffer(d, s.byteLength, s)), p.track(storageBuffer(d, s.byteLength, s))];
    p.wh = p.track(storageBuffer(d, Math.max(4, kernel.wh.byteLength), kernel.wh));
    p.xp = p.track(storageBuffer(d, 4 * B * p.rows * width));
    const x = storageBuffer(d, Math.max(4, inputs.byteLength), m > 0 ? inputs : undefined);
    const wx = storageBuffer(d, kernel.wx.byteLength, kernel.wx);
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    p.dispatch(pass, projectWgsl(width), [x, wx, p.xp], grid(B * T * width));
    pass.end();
    d.queue.submit([enc.finish()]);
    // Destroying after submit is allowed: the queue keeps the buffers alive until the work is done.
    x.destroy();
    wx.destroy();
    return p;
  }

  /** Row of s_t of sequence b (relative to the first sequence of the buffer): the WGSL `srow`. */
  stateRow(b: number, t: number): number {
    return b * (this.rows + 1) + 1 + (t % this.L) * this.C + Math.floor(t / this.L);
  }

  private track(b: GPUBuffer): GPUBuffer {
    this.buffers.push(b);
    return b;
  }

  private uniform(): GPUBuffer {
    if (!this.solveUniform) throw new Error('internal: uniform not set');
    return this.solveUniform;
  }

  private setUniform(atol: number, rtol: number, ring: number): void {
    const w = new Uint32Array([
      this.B,
      this.T,
      this.L,
      this.C,
      this.kernel.m,
      f32Bits(atol),
      f32Bits(rtol),
      ring,
      this.L,
      this.C,
      0,
      0,
    ]);
    if (!this.solveUniform) this.solveUniform = this.track(uniformBuffer(this.ctx.device, w));
    else this.ctx.device.queue.writeBuffer(this.solveUniform, 0, w);
  }

  private bindGroup(
    code: string,
    buffers: GPUBuffer[],
    uniform?: GPUBuffer,
  ): [GPUComputePipeline, GPUBindGroup] {
    const pipe = pipeline(this.ctx.device, code);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform ?? this.uniform() } }];
    buffers.forEach((buffer, i) => {
      entries.push({ binding: i + 1, resource: { buffer } });
    });
    return [pipe, this.ctx.device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries })];
  }

  private dispatch(
    pass: GPUComputePassEncoder,
    code: string,
    buffers: GPUBuffer[],
    g: [number, number],
  ): void {
    if (!this.solveUniform) this.setUniform(0, 0, 1);
    const [pipe, bg] = this.bindGroup(code, buffers);
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(g[0], g[1]);
  }

  /** Runs the plain sequential recurrence on the GPU (one workgroup per sequence) into the current states. */
  async runSequential(): Promise<void> {
    checkAlive(this.ctx);
    const d = this.ctx.device;
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.dispatch(
      pass,
      sequentialWgsl(this.kernel),
      [this.states[this.parity], this.xp, this.wh],
      [this.B, 1],
    );
    pass.end();
    d.queue.submit([enc.finish()]);
    await d.queue.onSubmittedWorkDone();
  }

  /**
   * The Jacobian structure `method` uses on this cell: quasi-DEER the diagonal; DEER the cell's exact
   * structure (dense, or diagonal / 2×2 blocks where the cell is exactly so); block-DEER 2×2 blocks.
   * Null when the cell cannot run it.
   */
  structureOf(method: FusedMethod): DeviceStructure | null {
    const s = fusedStructure(this.kernel, method);
    // Dense DEER needs its cooperative workgroup (n threads, n×n floats) to fit this device.
    if (s === 'dense' && !denseFits(this.kernel.n, this.ctx.device.limits)) return null;
    return s;
  }

  /** Runs quasi-DEER to convergence (or the iteration limit) without reading the states back. */
  solveQuasiDeer(settings: FusedSolveSettings): Promise<FusedSolveStats> {
    return this.solve('quasi-deer', settings);
  }

  /** Runs DEER (exact Jacobians; dense ones cost O(n³) per step: meant for small n) without reading the states back. */
  solveDeer(settings: FusedSolveSettings): Promise<FusedSolveStats> {
    return this.solve('deer', settings);
  }

  /**
   * The fused Newton loop of a method (see {@link DeviceProblem.structureOf}); throws a `ShapeError`
   * naming `method` when this cell cannot run it.
   */
  async solve(method: FusedMethod, settings: FusedSolveSettings): Promise<FusedSolveStats> {
    const structure = this.structureOf(method);
    if (!structure)
      throw new ShapeError(
        'method',
        `a method the ${this.kernel.kind} kernel runs on this device (quasi-deer${this.structureOf('deer') ? ', deer' : ''}${this.kernel.jacobian === 'block2' ? ', block-deer' : ''})`,
        method,
      );
    checkAlive(this.ctx);
    const { B } = this;
    const d = this.ctx.device;
    const every = Math.max(1, settings.checkEvery ?? 12);
    const ring = every + 1;
    this.setUniform(settings.atol, settings.rtol, ring);
    this.atol = settings.atol;
    this.rtol = settings.rtol;
    const w = this.workspace(ring, structure, settings.loop ?? 'auto', settings.chunks);
    const { status, hist, stepPart, staging } = w;
    if (w.tolUniform)
      d.queue.writeBuffer(
        w.tolUniform,
        20,
        new Uint32Array([f32Bits(settings.atol), f32Bits(settings.rtol)]),
      );
    const statusBytes = 4 * (2 * B + 1);
    const histBytes = 4 * ring * B * HISTORY_FIELDS;
    d.queue.writeBuffer(status, 0, new Uint32Array(2 * B + 2));
    {
      const enc = d.createCommandEncoder();
      enc.clearBuffer(stepPart);
      d.queue.submit([enc.finish()]);
    }
    {
      const groups = w.groups;
      const tick = w.tick;
      const run = (
        pass: GPUComputePassEncoder,
        [pipe, bg]: [GPUComputePipeline, GPUBindGroup],
        x: number,
        y = 1,
      ) => {
        pass.setPipeline(pipe);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(x, y);
      };

      const stat = new Array<number>(B).fill(0);
      const doneAt = new Array<number>(B).fill(0);
      const lastResid = new Array<number>(B).fill(Number.NaN);
      const history: IterationRecord[] = [];
      let updates = 0;
      let readbacks = 0;
      let finalCheck = false;
      for (;;) {
        if (settings.signal?.aborted) throw settings.signal.reason ?? new Error('aborted');
        const k = finalCheck ? 0 : Math.min(every, settings.maxIter - updates);
        const enc = d.createCommandEncoder();
        const pass = enc.beginComputePass();
        const first = updates;
        if (k === 0) {
          const gr = groups[this.parity];
          for (const st of [gr.lin, gr.check]) run(pass, [st[0], st[1]], st[2], st[3]);
        }
        for (let it = 0; it < k; it++) {
          const gr = groups[this.parity];
          for (const st of [gr.lin, gr.check, ...gr.rest]) run(pass, [st[0], st[1]], st[2], st[3]);
          if (tick) run(pass, tick, 1);
          this.parity = 1 - this.parity;
        }
        pass.end();
        updates += k;
        // One round trip per submission: status words and the history ring in one staging buffer.
        enc.copyBufferToBuffer(status, 0, staging, 0, statusBytes);
        enc.copyBufferToBuffer(hist, 0, staging, statusBytes, histBytes);
        d.queue.submit([enc.finish()]);
        await staging.mapAsync(1);
        const mapped = staging.getMappedRange();
        const words = new Uint32Array(mapped.slice(0, statusBytes));
        const h = new Float32Array(mapped.slice(statusBytes, statusBytes + histBytes));
        staging.unmap();
        readbacks++;
        for (let b = 0; b < B; b++) {
          stat[b] = words[b];
          doneAt[b] = words[B + b];
        }
        // Slots written by this submission: checks at counter values first … first + max(k, 1) − 1.
        const last = k === 0 ? first : first + k - 1;
        for (let s = first; s <= last; s++)
          this.record(s, h, ring, stat, doneAt, lastResid, history, settings);
        if (stat.every((v) => v !== 0) || k === 0) break;
        if (updates >= settings.maxIter) finalCheck = true;
      }
      const events: SolverEvent[] = [];
      const off = settings.batchOffset ?? 0;
      const iters = stat.map((s, b) => (s === 0 ? updates : doneAt[b]));
      stat.forEach((s, b) => {
        if (s === 2)
          events.push({
            kind: 'non-finite',
            iteration: doneAt[b],
            sequence: off + b,
            message: `sequence ${off + b}: a residual or step was NaN or infinite after ${doneAt[b]} updates; it was stopped there`,
          });
        else if (s === 0)
          events.push({
            kind: 'max-iterations',
            iteration: updates,
            sequence: off + b,
            message: `sequence ${off + b}: residual criterion not met after ${updates} iterations (max |r| = ${lastResid[b]})`,
          });
      });
      return {
        status: stat,
        iterationsPerSequence: iters,
        residualPerSequence: lastResid,
        updates,
        history,
        events,
        readbacks,
      };
    }
  }

  /** Scratch buffers and bind groups of the Newton loop, made once per problem (ring size and method). */
  private workspace(
    ring: number,
    structure: DeviceStructure,
    loop: 'auto' | 'latency' | 'throughput',
    chunkRequest: number | undefined,
  ): Work {
    const { B, T } = this;
    const n = this.kernel.n;
    const d = this.ctx.device;
    const latency =
      structure === 'diagonal' &&
      d.limits.maxStorageBuffersPerShaderStage >= 7 &&
      (loop === 'auto' ? latencyPath(B, this.C, n, this.U) : loop === 'latency');
    const chunks =
      structure === 'diagonal' ? 0 : Math.max(1, Math.min(T, Math.floor(chunkRequest ?? deerChunks(T))));
    if (
      this.work &&
      this.work.ring === ring &&
      this.work.structure === structure &&
      this.work.latency === latency &&
      this.work.chunks === chunks
    )
      return this.work;
    if (this.work) for (const b of this.work.buffers) b.destroy();
    // 2B + 2 words: the latency path keeps its update counter in the last two (one per parity).
    const status = storageBuffer(d, 4 * (2 * B + 2));
    const hist = storageBuffer(d, 4 * ring * B * HISTORY_FIELDS);
    const staging = d.createBuffer({
      size: 4 * (2 * B + 1) + 4 * ring * B * HISTORY_FIELDS,
      usage: 0x0001 | 0x0008,
    });
    const step = (code: string, bufs: GPUBuffer[], g: [number, number], u?: GPUBuffer): Step => {
      const [pipe, bg] = this.bindGroup(code, bufs, u);
      return [pipe, bg, g[0], g[1]];
    };
    let groups: { lin: Step; check: Step; rest: Step[] }[];
    let part: GPUBuffer;
    let stepPart: GPUBuffer;
    /** Partial-result entries per (sequence, chunk) that the check kernel reduces. */
    let perSequence: number;
    let tolUniform: GPUBuffer | null = null;
    const buffers: GPUBuffer[] = [status, hist, staging];
    const k = this.kernel;
    if (structure === 'diagonal') {
      const { C, U, L } = this;
      const threads = (B * C * n) / U;
      const agg = storageBuffer(d, 8 * B * C * n);
      part = storageBuffer(d, 16 * threads);
      stepPart = storageBuffer(d, 8 * threads);
      const carry = storageBuffer(d, 4 * B * C * n);
      const scanUniform = uniformBuffer(d, new Uint32Array([B, T, n, L, C, (this.rows + 1) * n, 0, 0]));
      buffers.push(agg, part, stepPart, carry, scanUniform);
      const lin = U === 4 && k.vec4 ? k.vec4.lin(n) : diagLinAggWgsl(k);
      const vec4 = U === 4 ? k.vec4 : undefined;
      const apply = (parity: 0 | 1 | null) => (vec4 ? vec4.apply(n, parity) : diagApplyWgsl(k, parity));
      const g = grid(threads);
      perSequence = n / U;
      const checkStep = (par: 0 | 1, hs: GPUBuffer): Step =>
        latency
          ? step(
              carryCheckWgsl(n, perSequence, par),
              [part, stepPart, status, hist, agg, hs, carry],
              grid(B * n, 1),
            )
          : step(checkWgsl(perSequence), [part, stepPart, status, hist], [B, 1]);
      groups = ([0, 1] as const).map((par) => {
        const hs = this.states[par];
        const hn = this.states[1 - par];
        return {
          lin: step(lin, [hs, this.xp, this.wh, status, agg, part], g),
          check: checkStep(par, hs),
          rest: latency
            ? [step(apply(par), [hs, this.xp, this.wh, status, carry, hn, stepPart], g)]
            : [
                step(CARRY_WGSL, [agg, hs, status, carry], grid(B * n, 1), scanUniform),
                step(apply(null), [hs, this.xp, this.wh, status, carry, hn, stepPart], g),
              ],
        };
      });
    } else {
      // Few long chunks: the per-sequence scan of the chunk maps (n×n, or 2×2 blocks) runs
      // sequentially over C.
      const L = Math.ceil(T / chunks);
      const Cc = Math.ceil(T / L);
      const methodUniform = uniformBuffer(
        d,
        new Uint32Array([
          B,
          T,
          L,
          Cc,
          this.kernel.m,
          f32Bits(this.atol),
          f32Bits(this.rtol),
          ring,
          this.L,
          this.C,
          0,
          0,
        ]),
      );
      const K = structure === 'dense' ? n : 2;
      // Partial results per (sequence, chunk): one per chunk (dense), one per 2×2 block (block2).
      perSequence = structure === 'dense' ? 1 : n / 2;
      const aggM = storageBuffer(d, 4 * B * Cc * n * K);
      const aggV = storageBuffer(d, 4 * B * Cc * n);
      const ends = storageBuffer(d, 4 * B * Cc * n);
      part = storageBuffer(d, 16 * B * Cc * perSequence);
      stepPart = storageBuffer(d, 8 * B * Cc * perSequence);
      const h0 = storageBuffer(d, 4 * B * n);
      const enc = d.createCommandEncoder();
      for (let b = 0; b < B; b++)
        enc.copyBufferToBuffer(this.states[0], 4 * b * (this.rows + 1) * n, h0, 4 * b * n, 4 * n);
      d.queue.submit([enc.finish()]);
      const scanUniform = uniformBuffer(d, new Uint32Array([B, Cc, n, 0, 0, 0, 0, 0]));
      buffers.push(methodUniform, aggM, aggV, ends, part, stepPart, h0, scanUniform);
      const wg = 2 ** Math.ceil(Math.log2(n));
      let g: [number, number];
      let agg: string;
      let app: string;
      if (structure === 'block2') {
        g = grid((B * Cc * n) / 2);
        agg = blockAggWgsl(k);
        app = blockApplyWgsl(k);
      } else {
        // n ≥ 12: the cooperative kernels (workgroup of n threads per chunk, chunk map in workgroup
        // memory); below, one thread per chunk with everything in registers.
        const coop = n >= COOPERATIVE_FROM;
        g = coop ? grid(B * Cc, 1) : grid(B * Cc);
        agg = coop ? denseCoopAggWgsl(k) : denseAggWgsl(k);
        app = coop ? denseCoopApplyWgsl(k) : denseApplyWgsl(k);
      }
      const check = step(checkWgsl(perSequence), [part, stepPart, status, hist], [B, 1], methodUniform);
      groups = [0, 1].map((par) => {
        const hs = this.states[par];
        const hn = this.states[1 - par];
        return {
          lin: step(agg, [hs, this.xp, this.wh, status, aggM, aggV, part], g, methodUniform),
          check,
          rest: [
            step(chunkScanPrefetchWgsl(K, wg), [aggM, aggV, h0, ends], grid(B, 1), scanUniform),
            step(app, [hs, this.xp, this.wh, status, ends, hn, stepPart], g, methodUniform),
          ],
        };
      });
      tolUniform = methodUniform;
    }
    this.work = {
      ring,
      latency,
      chunks,
      structure,
      status,
      hist,
      stepPart,
      staging,
      groups,
      tick: latency ? null : this.bindGroup(TICK_WGSL, [status]),
      tolUniform,
      buffers,
    };
    return this.work;
  }

  private record(
    s: number,
    h: Float32Array,
    ring: number,
    stat: number[],
    doneAt: number[],
    lastResid: number[],
    history: IterationRecord[],
    settings: FusedSolveSettings,
  ): void {
    const B = this.B;
    let maxR = 0;
    let ss = 0;
    let maxStep = 0;
    let stepped = 0;
    let active = 0;
    for (let b = 0; b < B; b++) {
      const o = ((s % ring) * B + b) * HISTORY_FIELDS;
      if (h[o + 3] !== 0) continue; // not active before this check
      stepped++;
      const r = h[o + 4] > 0 ? Number.NaN : h[o];
      lastResid[b] = r;
      maxR = Number.isNaN(r) || r > maxR ? r : maxR;
      ss += h[o + 1];
      const st = h[o + 5] >= STEP_NON_FINITE_LIMIT ? Number.NaN : h[o + 2];
      maxStep = Number.isNaN(st) || st > maxStep ? st : maxStep;
      if (!(stat[b] !== 0 && doneAt[b] === s)) active++;
    }
    if (s === 0 || stepped === 0) return;
    const rec: IterationRecord = {
      iteration: s,
      maxStep,
      maxResidual: maxR,
      residualNorm: Math.sqrt(ss),
      active,
    };
    history.push(rec);
    settings.onRecord?.(rec);
  }

  /** Reads states `[count][T][n]` of sequences first … first + count − 1 (s_1 … s_T). */
  async readStates(first = 0, count = this.B): Promise<Float32Array> {
    checkAlive(this.ctx);
    const { T } = this;
    const n = this.kernel.n;
    const d = this.ctx.device;
    const out = new Float32Array(count * T * n);
    const per = (this.rows + 1) * n;
    const staging = d.createBuffer({ size: 4 * count * per, usage: 0x0001 | 0x0008 });
    const enc = d.createCommandEncoder();
    enc.copyBufferToBuffer(this.states[this.parity], 4 * first * per, staging, 0, 4 * count * per);
    d.queue.submit([enc.finish()]);
    await staging.mapAsync(1);
    const all = new Float32Array(staging.getMappedRange());
    for (let b = 0; b < count; b++)
      for (let t = 0; t < T; t++) {
        const r = this.stateRow(b, t) * n;
        out.set(all.subarray(r, r + n), (b * T + t) * n);
      }
    staging.unmap();
    staging.destroy();
    return out;
  }

  /**
   * Restarts from the zero trajectory (h0 kept in slot 0): clears both state buffers and rewrites h0.
   * Lets benchmarks repeat a solve on resident data.
   */
  async resetToZeros(h0: Float32Array): Promise<void> {
    checkAlive(this.ctx);
    const d = this.ctx.device;
    const n = this.kernel.n;
    const enc = d.createCommandEncoder();
    for (const buf of this.states) enc.clearBuffer(buf);
    d.queue.submit([enc.finish()]);
    for (const buf of this.states)
      for (let b = 0; b < this.B; b++)
        d.queue.writeBuffer(buf, 4 * b * (this.rows + 1) * n, h0 as Float32Array<ArrayBuffer>, b * n, n);
    this.parity = 0;
    await d.queue.onSubmittedWorkDone();
  }

  /** Frees every buffer. */
  destroy(): void {
    if (this.work) for (const b of this.work.buffers) b.destroy();
    this.work = null;
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

/**
 * The former name of {@link DeviceProblem} (GRU only then).
 *
 * @deprecated Use {@link DeviceProblem}.
 */
export const GruDeviceProblem = DeviceProblem;
/** @deprecated Use {@link DeviceProblem}. */
export type GruDeviceProblem = DeviceProblem;
