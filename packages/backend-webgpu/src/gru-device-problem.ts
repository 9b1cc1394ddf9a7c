/**
 * A batch of GRU sequences resident on the GPU, with the fused quasi-DEER Newton loop and the plain
 * sequential evaluation. Everything stays on the device; the host reads back per-sequence status words
 * and a small history ring every `checkEvery` iterations, and the states only when asked.
 */
import type { IterationRecord, SolverEvent } from '@antler/core';
import { checkAlive, f32Bits, type GpuContext, storageBuffer, uniformBuffer } from './gpu-context.js';
import type { GruWeights } from './gru-weights.js';
import { pipeline } from './pipelines.js';
import { grid, STEP_NON_FINITE_THRESHOLD } from './wgsl-common.js';

/** Host-side value of the step-violation sentinel threshold (see wgsl-common). */
const STEP_NON_FINITE_LIMIT = Number(STEP_NON_FINITE_THRESHOLD);
import {
  apply4Wgsl,
  applyWgsl,
  checkWgsl,
  HISTORY_FIELDS,
  linAgg4Wgsl,
  linAggWgsl,
  projectWgsl,
  sequentialGruWgsl,
  TICK_WGSL,
} from './wgsl-gru.js';
import { deerAggWgsl, deerApplyWgsl, deerCoopAggWgsl, deerCoopApplyWgsl } from './wgsl-gru-deer.js';
import { CARRY_WGSL, matrixSequentialWgsl } from './wgsl-scan.js';

/** Settings of {@link GruDeviceProblem.solveQuasiDeer}. */
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
 * Chunk length L and count C so that about 2^18 threads run phases 1 and 3; `lanes` = threads per
 * (sequence, chunk).
 */
export function chunking(
  B: number,
  T: number,
  lanes: number,
  targetThreads = 1 << 18,
): { L: number; C: number } {
  const C0 = Math.max(1, Math.min(T, Math.ceil(targetThreads / (B * lanes))));
  const L = Math.ceil(T / C0);
  return { L, C: Math.ceil(T / L) };
}

/** Units of state each phase-1/phase-3 thread handles: 4 (vec4 kernels) when n is a multiple of 4. */
export function unitsPerThread(n: number): number {
  return n % 4 === 0 ? 4 : 1;
}

/** Bytes of device memory a problem of this size allocates. */
export function problemBytes(B: number, T: number, n: number, m: number): number {
  const { C } = chunking(B, T, n / unitsPerThread(n));
  const { L } = chunking(B, T, n / unitsPerThread(n));
  const R = L * C;
  return 4 * (B * T * m + B * R * 3 * n + 2 * B * (R + 1) * n + B * C * n * 9 + (m + n + 2) * 3 * n);
}

type Bound = [GPUComputePipeline, GPUBindGroup];
type Step = [GPUComputePipeline, GPUBindGroup, number, number];

interface Work {
  readonly ring: number;
  readonly status: GPUBuffer;
  readonly hist: GPUBuffer;
  readonly stepPart: GPUBuffer;
  readonly staging: GPUBuffer;
  readonly method: 'quasi-deer' | 'deer';
  /** Per parity: phase 1 (then the check), and the phases after the check. */
  readonly groups: { lin: Step; rest: Step[] }[];
  readonly check: Bound;
  readonly tick: Bound;
  /** The method's own uniform whose tolerance words must be refreshed per solve (DEER), if any. */
  readonly tolUniform: GPUBuffer | null;
  readonly buffers: GPUBuffer[];
}

/** A GRU batch on the GPU. Create with {@link GruDeviceProblem.create}; call `destroy()` when done. */
export class GruDeviceProblem {
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
  private checkUniform: GPUBuffer | null = null;
  private atol = 0;
  private rtol = 0;
  private xp: GPUBuffer;
  private wh: GPUBuffer;
  private gruUniform: GPUBuffer | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    readonly weights: GruWeights,
    readonly B: number,
    readonly T: number,
    targetThreads: number,
  ) {
    this.U = unitsPerThread(weights.n);
    const { L, C } = chunking(B, T, weights.n / this.U, targetThreads);
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
    weights: GruWeights,
    B: number,
    T: number,
    inputs: Float32Array,
    h0: Float32Array,
    guess: Float32Array | null,
    /** Threads aimed at in phases 1 and 3 (default 2^18; smaller means fewer, longer chunks). */
    targetThreads = 1 << 18,
  ): GruDeviceProblem {
    checkAlive(ctx);
    const p = new GruDeviceProblem(ctx, weights, B, T, targetThreads);
    const { n, m } = weights;
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
    p.wh = p.track(storageBuffer(d, weights.wh.byteLength, weights.wh));
    p.xp = p.track(storageBuffer(d, 4 * B * p.rows * 3 * n));
    const x = storageBuffer(d, Math.max(4, inputs.byteLength), m > 0 ? inputs : undefined);
    const wx = storageBuffer(d, weights.wx.byteLength, weights.wx);
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    p.dispatch(pass, projectWgsl(n), [x, wx, p.xp], grid(B * T * 3 * n));
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
    if (!this.gruUniform) throw new Error('internal: uniform not set');
    return this.gruUniform;
  }

  private setUniform(atol: number, rtol: number, ring: number): void {
    const w = new Uint32Array([
      this.B,
      this.T,
      this.L,
      this.C,
      this.weights.m,
      f32Bits(atol),
      f32Bits(rtol),
      ring,
      this.L,
      this.C,
      0,
      0,
    ]);
    if (!this.gruUniform) this.gruUniform = this.track(uniformBuffer(this.ctx.device, w));
    else this.ctx.device.queue.writeBuffer(this.gruUniform, 0, w);
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
    if (!this.gruUniform) this.setUniform(0, 0, 1);
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
      sequentialGruWgsl(this.weights.n),
      [this.states[this.parity], this.xp, this.wh],
      [this.B, 1],
    );
    pass.end();
    d.queue.submit([enc.finish()]);
    await d.queue.onSubmittedWorkDone();
  }

  /** Runs quasi-DEER to convergence (or the iteration limit) without reading the states back. */
  solveQuasiDeer(settings: FusedSolveSettings): Promise<FusedSolveStats> {
    return this.solve('quasi-deer', settings);
  }

  /** Runs DEER (dense Jacobians, O(n³) per step: meant for small n) without reading the states back. */
  solveDeer(settings: FusedSolveSettings): Promise<FusedSolveStats> {
    return this.solve('deer', settings);
  }

  /** The fused Newton loop of either method. */
  async solve(method: 'quasi-deer' | 'deer', settings: FusedSolveSettings): Promise<FusedSolveStats> {
    checkAlive(this.ctx);
    const { B } = this;
    const d = this.ctx.device;
    const every = Math.max(1, settings.checkEvery ?? 12);
    const ring = every + 1;
    this.setUniform(settings.atol, settings.rtol, ring);
    this.atol = settings.atol;
    this.rtol = settings.rtol;
    const w = this.workspace(ring, method);
    const { status, hist, stepPart, staging } = w;
    if (w.tolUniform)
      d.queue.writeBuffer(
        w.tolUniform,
        20,
        new Uint32Array([f32Bits(settings.atol), f32Bits(settings.rtol)]),
      );
    const statusBytes = 4 * (2 * B + 1);
    const histBytes = 4 * ring * B * HISTORY_FIELDS;
    d.queue.writeBuffer(status, 0, new Uint32Array(2 * B + 1));
    {
      const enc = d.createCommandEncoder();
      enc.clearBuffer(stepPart);
      d.queue.submit([enc.finish()]);
    }
    {
      const groups = w.groups;
      const check = w.check;
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
          const l = groups[this.parity].lin;
          run(pass, [l[0], l[1]], l[2], l[3]);
          run(pass, check, B);
        }
        for (let it = 0; it < k; it++) {
          const gr = groups[this.parity];
          run(pass, [gr.lin[0], gr.lin[1]], gr.lin[2], gr.lin[3]);
          run(pass, check, B);
          for (const st of gr.rest) run(pass, [st[0], st[1]], st[2], st[3]);
          run(pass, tick, 1);
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
  private workspace(ring: number, method: 'quasi-deer' | 'deer'): Work {
    if (this.work && this.work.ring === ring && this.work.method === method) return this.work;
    if (this.work) for (const b of this.work.buffers) b.destroy();
    const { B, T } = this;
    const n = this.weights.n;
    const d = this.ctx.device;
    const status = storageBuffer(d, 4 * (2 * B + 1));
    const hist = storageBuffer(d, 4 * ring * B * HISTORY_FIELDS);
    const staging = d.createBuffer({
      size: 4 * (2 * B + 1) + 4 * ring * B * HISTORY_FIELDS,
      usage: 0x0001 | 0x0008,
    });
    const step = (code: string, bufs: GPUBuffer[], g: [number, number], u?: GPUBuffer): Step => {
      const [pipe, bg] = this.bindGroup(code, bufs, u);
      return [pipe, bg, g[0], g[1]];
    };
    let groups: { lin: Step; rest: Step[] }[];
    let part: GPUBuffer;
    let stepPart: GPUBuffer;
    /** Partial-result entries per (sequence, chunk) that the check kernel reduces. */
    let perSequence: number;
    let tolUniform: GPUBuffer | null = null;
    const buffers: GPUBuffer[] = [status, hist, staging];
    if (method === 'quasi-deer') {
      const { C, U, L } = this;
      const threads = (B * C * n) / U;
      const agg = storageBuffer(d, 8 * B * C * n);
      part = storageBuffer(d, 16 * threads);
      stepPart = storageBuffer(d, 8 * threads);
      const carry = storageBuffer(d, 4 * B * C * n);
      const scanUniform = uniformBuffer(d, new Uint32Array([B, T, n, L, C, (this.rows + 1) * n, 0, 0]));
      buffers.push(agg, part, stepPart, carry, scanUniform);
      const lin = U === 4 ? linAgg4Wgsl(n) : linAggWgsl(n);
      const apply = U === 4 ? apply4Wgsl(n) : applyWgsl(n);
      const g = grid(threads);
      groups = [0, 1].map((par) => {
        const hs = this.states[par];
        const hn = this.states[1 - par];
        return {
          lin: step(lin, [hs, this.xp, this.wh, status, agg, part], g),
          rest: [
            step(CARRY_WGSL, [agg, hs, status, carry], grid(B * n, 1), scanUniform),
            step(apply, [hs, this.xp, this.wh, status, carry, hn, stepPart], g),
          ],
        };
      });
      perSequence = n / U;
    } else {
      // Few long chunks: the per-sequence scan of the n×n chunk maps runs sequentially over C.
      const C = Math.max(1, Math.min(1024, Math.ceil(T / 32)));
      const L = Math.ceil(T / C);
      const Cc = Math.ceil(T / L);
      const deerUniform = uniformBuffer(
        d,
        new Uint32Array([
          B,
          T,
          L,
          Cc,
          this.weights.m,
          f32Bits(this.atol),
          f32Bits(this.rtol),
          ring,
          this.L,
          this.C,
          0,
          0,
        ]),
      );
      const aggM = storageBuffer(d, 4 * B * Cc * n * n);
      const aggV = storageBuffer(d, 4 * B * Cc * n);
      const ends = storageBuffer(d, 4 * B * Cc * n);
      part = storageBuffer(d, 16 * B * Cc);
      stepPart = storageBuffer(d, 8 * B * Cc);
      const h0 = storageBuffer(d, 4 * B * n);
      const enc = d.createCommandEncoder();
      for (let b = 0; b < B; b++)
        enc.copyBufferToBuffer(this.states[0], 4 * b * (this.rows + 1) * n, h0, 4 * b * n, 4 * n);
      d.queue.submit([enc.finish()]);
      const scanUniform = uniformBuffer(d, new Uint32Array([B, Cc, n, 0, 0, 0, 0, 0]));
      buffers.push(deerUniform, aggM, aggV, ends, part, stepPart, h0, scanUniform);
      const wg = 2 ** Math.ceil(Math.log2(n));
      // n ≥ 12: the cooperative kernels (workgroup of n threads per chunk, chunk map in workgroup memory);
      // below, one thread per chunk with everything in registers.
      const coop = n >= 12;
      const g = coop ? grid(B * Cc, 1) : grid(B * Cc);
      const agg = coop ? deerCoopAggWgsl(n) : deerAggWgsl(n);
      const app = coop ? deerCoopApplyWgsl(n) : deerApplyWgsl(n);
      groups = [0, 1].map((par) => {
        const hs = this.states[par];
        const hn = this.states[1 - par];
        return {
          lin: step(agg, [hs, this.xp, this.wh, status, aggM, aggV, part], g, deerUniform),
          rest: [
            step(matrixSequentialWgsl(n, wg), [aggM, aggV, h0, ends], grid(B, 1), scanUniform),
            step(app, [hs, this.xp, this.wh, status, ends, hn, stepPart], g, deerUniform),
          ],
        };
      });
      perSequence = 1;
      this.checkUniform = deerUniform;
      tolUniform = deerUniform;
    }
    this.work = {
      ring,
      method,
      status,
      hist,
      stepPart,
      staging,
      groups,
      check: this.bindGroup(
        checkWgsl(perSequence),
        [part, stepPart, status, hist],
        method === 'deer' ? (this.checkUniform ?? undefined) : undefined,
      ),
      tick: this.bindGroup(TICK_WGSL, [status]),
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
    const n = this.weights.n;
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
    const n = this.weights.n;
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
