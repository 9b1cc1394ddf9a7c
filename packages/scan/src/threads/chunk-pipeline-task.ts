/**
 * The chunked scan of a single sequence (or a batch smaller than the thread count) as one dispatch per
 * call, reading as little as possible. With p threads each sequence is cut into p + 1 chunks (in scan
 * order). Thread 0 scans chunk 0 straight from the start state and goes on scanning chunk 1, 2, …
 * from the states it has just written, waiting only for a chunk a worker has taken (and then carrying on
 * from that chunk's end). Meanwhile worker w ≥ 1 reduces chunk w to one
 * affine map (reads only), waits for the end of chunk 0 and the maps of chunks 1 … w − 1, pushes that
 * end state through them to get the start of chunk w + 1, and scans chunk w + 1 — unless thread 0 has
 * claimed that chunk first (an atomic compare-and-swap per chunk), which is what happens when a worker
 * gets no core: the scan then degrades to the sequential one instead of waiting for it. The call
 * returns as soon as every chunk is scanned, without waiting for workers that took none (each call has
 * its own flags and aggregates, reused only once its workers are done with them).
 *
 * Every step is read at most twice and written once. Chunk 0 is sized so that scanning it takes as long
 * as one reduce (see {@link planBalancedChunks}): for a reduce/scan cost ratio w that gives
 * (w + 2)/(w + 1) × the speed of one thread on two (≈ 1.6× for w ≈ 0.7).
 * {@link runChunkPipelineTask} is self-contained, so the workers run exactly this code.
 */
import { aggregateOperatorSize, STRUCTURE_CODE } from '../affine/aggregate.js';
import { type ChunkedScratch, chunkTasks, planBalancedChunks } from '../affine/chunked.js';
import type { ResolvedAffineArgs } from '../affine/validate-args.js';
import type { AffineKernels, AffineTask } from './affine-task.js';

/** One batch member's share of a {@link ChunkPipelineTask}. */
export interface ChunkPipelineMember {
  /**
   * Index in `flags` of this member's `done[0 … chunks)` (chunk 0 scanned / chunk c reduced), followed
   * by its `claimed`, `scanned` (by a worker) and `bad` (non-finite) flags, `chunks` each.
   */
  flagBase: number;
  chunks: number;
  /** Thread 0: the scan of every chunk c from the end of chunk c − 1 (chunk 0 from the start state). */
  scans: AffineTask[];
  /** Worker w: the reduce of chunk w into the aggregates. */
  reduce: AffineTask | null;
  /** Worker w: the scan of chunk w + 1 from `second.s0` at `second.s0Offset` (the carry, filled in here). */
  second: AffineTask | null;
  /** Index in `second.out.data` of the last state of chunk 0 (the first carry). */
  lastOf0: number;
  /** Offsets of the aggregates of chunks 1 … w, in order: `m` at `mOffsets[i]`, `c` at `cOffsets[i]`. */
  mOffsets: number[];
  cOffsets: number[];
}

/** One thread's work of a pipelined chunked scan. */
export interface ChunkPipelineTask {
  kind: 3;
  /** 0 (the calling thread, which scans from the start) … parties − 1. */
  thread: number;
  members: ChunkPipelineMember[];
  /** Whether the operands are float32 (which kernel copy to run). */
  float32: boolean;
  /** Int32Array over a SharedArrayBuffer, zeroed before the dispatch: the done and claimed flags. */
  flags: Int32Array;
  /** The control block of this dispatch: a set error flag ([1]) releases the waiting calling thread. */
  control: Int32Array;
  /** How long a thread polls before it sleeps while waiting for another. */
  pollMicroseconds: number;
}

/**
 * Runs one thread's share; returns false when a scan produced a non-finite value. The calling thread's
 * share (thread 0) returns only when every chunk has been scanned, by it or by a worker; a worker's
 * share may still be reducing a chunk nobody needs any more — it then writes nothing but its own
 * aggregate and flags.
 */
export function runChunkPipelineTask(
  kernels: AffineKernels,
  runTask: (kernels: AffineKernels, task: AffineTask, work: Float64Array) => boolean,
  task: ChunkPipelineTask,
  work: Float64Array,
): boolean {
  let finite = true;
  const flags = task.flags;
  const w = task.thread;
  // Polling before sleeping: a thread that sleeps can take a millisecond to be woken on a virtual
  // machine.
  const pollMs = task.pollMicroseconds / 1000;
  for (let k = 0; k < task.members.length; k++) {
    const member = task.members[k];
    const C = member.chunks;
    const done = member.flagBase;
    const claimed = done + C;
    const scanned = done + 2 * C;
    const bad = done + 3 * C;
    if (w === 0) {
      finite = runTask(kernels, member.scans[0], work) && finite;
      Atomics.store(flags, done, 1);
      Atomics.notify(flags, done);
      if (C > 1) finite = runTask(kernels, member.scans[1], work) && finite;
      for (let ch = 2; ch < C; ch++) {
        // Chunk ch is worker ch − 1's unless this thread gets to it first.
        if (Atomics.compareExchange(flags, claimed + ch, 0, 1) === 0) {
          // Wake workers waiting for maps that will now not be needed, so that they give up.
          for (let i = 0; i < C; i++) Atomics.notify(flags, done + i);
          finite = runTask(kernels, member.scans[ch], work) && finite;
          continue;
        }
        // The worker has it: wait for it, then carry on from its end (the next chunk may be free).
        const pollUntil = performance.now() + pollMs;
        while (Atomics.load(flags, scanned + ch) === 0) {
          if (Atomics.load(task.control, 1) !== 0) throw new Error('a scan worker failed');
          if (performance.now() > pollUntil) Atomics.wait(flags, scanned + ch, 0, 20);
        }
        if (Atomics.load(flags, bad + ch) !== 0) finite = false;
      }
      continue;
    }
    const second = member.second as AffineTask;
    if (Atomics.load(flags, claimed + w + 1) !== 0) continue;
    runTask(kernels, member.reduce as AffineTask, work);
    Atomics.store(flags, done + w, 1);
    Atomics.notify(flags, done + w);
    // The end of chunk 0 and the maps of chunks 1 … w − 1.
    let given = false;
    const pollUntil = performance.now() + pollMs;
    for (let i = 0; i < w && !given; i++) {
      while (Atomics.load(flags, done + i) === 0) {
        if (Atomics.load(flags, claimed + w + 1) !== 0) {
          given = true;
          break;
        }
        if (Atomics.load(task.control, 1) !== 0) throw new Error('the calling thread failed');
        if (performance.now() > pollUntil) Atomics.wait(flags, done + i, 0, 20);
      }
    }
    if (given || Atomics.compareExchange(flags, claimed + w + 1, 0, 1) !== 0) continue;
    const carry = second.s0 as Float64Array;
    const co = second.s0Offset;
    const n = second.size;
    const out = second.out.data;
    for (let i = 0; i < n; i++) carry[co + i] = out[member.lastOf0 + i];
    const m = (member.reduce as AffineTask).m as Float64Array;
    const c = (member.reduce as AffineTask).c as Float64Array;
    for (let i = 0; i < member.mOffsets.length; i++) {
      kernels.apply(
        second.structure,
        n,
        second.blockSize,
        m,
        member.mOffsets[i],
        c,
        member.cOffsets[i],
        carry,
        co,
        work,
      );
    }
    let ok = false;
    try {
      ok = runTask(kernels, second, work);
    } finally {
      // Whatever happens, the calling thread must not wait for this chunk forever (an exception is
      // also reported through the control block).
      if (!ok) Atomics.store(flags, bad + w + 1, 1);
      Atomics.store(flags, scanned + w + 1, 1);
      Atomics.notify(flags, scanned + w + 1);
    }
    finite = ok && finite;
  }
  return finite;
}

/**
 * Builds the per-thread tasks of a pipelined scan of every batch member of `r` with `parts` threads.
 * Each sequence is cut into segments of at most `segmentLength` steps, scanned one after the other
 * (segment s starts from the last state of segment s − 1), and each segment into `parts + 1` chunks
 * planned by {@link planBalancedChunks} with the reduce/scan cost ratio `ratio`. Short segments keep a
 * chunk's reduce and its rescan close enough together for the second read to come from the cache.
 * Returns the tasks and how much scratch they use: `scratch` needs that many float64 operators (`m`)
 * and states (`c`, `carries`), `flags` that many zeroed Int32 slots, all SharedArrayBuffer-backed when
 * workers take part (call once with empty scratch to size it).
 */
export function buildChunkPipeline(
  r: ResolvedAffineArgs,
  parts: number,
  ratio: number,
  scratch: { m: Float64Array; c: Float64Array; carries: Float64Array },
  flags: Int32Array,
  control: Int32Array,
  pollMicroseconds = 1000,
  segmentLength = Number.POSITIVE_INFINITY,
): { tasks: ChunkPipelineTask[]; flagCount: number; operators: number; states: number } {
  const n = r.size;
  const opSize = aggregateOperatorSize(STRUCTURE_CODE[r.structure], n, r.blockSize);
  const segments = Math.max(1, Math.ceil(r.length / Math.max(1, segmentLength)));
  const perThread: ChunkPipelineTask[] = [];
  for (let th = 0; th < parts; th++) {
    perThread.push({
      kind: 3,
      thread: th,
      members: [],
      float32: r.out.data instanceof Float32Array,
      flags,
      control,
      pollMicroseconds,
    });
  }
  let flagCount = 0;
  let operators = 0;
  let states = 0;
  const sized = scratch.m.length > 0;
  let used = 1;
  for (let k = 0; k < r.batch; k++) {
    for (let g = 0; g < segments; g++) {
      // Segment g in scan order, as a one-member problem of its own.
      const g0 = Math.round((g * r.length) / segments);
      const g1 = Math.round(((g + 1) * r.length) / segments);
      const L = g1 - g0;
      if (L <= 0) continue;
      const p0 = r.reverse ? r.length - g1 : g0;
      const at = (v: ResolvedAffineArgs['a']) => ({
        data: v.data,
        offset: v.offset + k * v.batchStride + p0 * v.timeStride,
        timeStride: v.timeStride,
        batchStride: 0,
      });
      // The start: s0 for the first segment, else the previous segment's last state (in scan order).
      const prevLast = r.reverse ? r.length - g0 : g0 - 1;
      const s0 =
        g === 0
          ? r.s0 && { ...r.s0, offset: r.s0.offset + k * r.s0.batchStride, batchStride: 0 }
          : {
              data: r.out.data,
              offset: r.out.offset + k * r.out.batchStride + prevLast * r.out.timeStride,
              timeStride: 0,
              batchStride: 0,
            };
      const seg: ResolvedAffineArgs = {
        ...r,
        batch: 1,
        length: L,
        a: at(r.a),
        b: at(r.b),
        out: at(r.out),
        s0,
      };
      const bounds = planBalancedChunks(L, parts, ratio);
      const C = bounds.length - 1;
      used = Math.max(used, C - 1);
      // Physical index (within the segment) of the last state of chunk ch, in scan order.
      const lastOf = (ch: number) => (r.reverse ? L - bounds[ch + 1] : bounds[ch + 1] - 1);
      const own: ChunkedScratch = {
        m: sized ? scratch.m.subarray(operators * opSize, (operators + C) * opSize) : scratch.m,
        c: sized ? scratch.c.subarray(states * n, (states + C) * n) : scratch.c,
        carries: sized ? scratch.carries.subarray(states * n, (states + C) * n) : scratch.carries,
        work: new Float64Array(0),
      };
      const flagBase = flagCount;
      flagCount += 4 * C;
      operators += C;
      states += C;
      if (!sized) continue;
      const firsts = chunkTasks(seg, 0, bounds, own, 1);
      const seconds = chunkTasks(seg, 0, bounds, own, 3);
      const outBase = seg.out.offset;
      // The calling thread's scans: chunk 0 from the start, chunk ch from the end of chunk ch − 1.
      const scans = [firsts[0]];
      for (let ch = 1; ch < C; ch++) {
        const s0Offset = outBase + lastOf(ch - 1) * r.out.timeStride;
        scans.push({ ...seconds[ch - 1], s0: r.out.data, s0Offset });
      }
      for (let th = 0; th < C - 1; th++) {
        const mOffsets: number[] = [];
        const cOffsets: number[] = [];
        for (let ch = 1; ch <= th; ch++) {
          mOffsets.push(ch * opSize);
          cOffsets.push(ch * n);
        }
        perThread[th].members.push({
          flagBase,
          chunks: C,
          scans: th === 0 ? scans : [],
          reduce: th === 0 ? null : firsts[th],
          second: th === 0 ? null : seconds[th],
          lastOf0: outBase + lastOf(0) * r.out.timeStride,
          mOffsets,
          cOffsets,
        });
      }
    }
  }
  return { tasks: perThread.slice(0, used), flagCount, operators, states };
}
