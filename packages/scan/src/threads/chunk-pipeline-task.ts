/**
 * The chunked scan of a single sequence (or a batch smaller than the thread count) as one dispatch per
 * call, reading as little as possible. With p threads the sequence is cut into p + 1 chunks (in scan
 * order): thread 0 scans chunk 0 straight from the start state while thread w ≥ 1 reduces chunk w to
 * one affine map (reads only); all meet at a barrier; then thread 0 scans chunk 1 from the end of
 * chunk 0, and thread w scans chunk w + 1 from its own carry, the end of chunk 0 pushed through the maps
 * of chunks 1 … w. Every step is read twice at most and written once; chunk 0 is sized so that its
 * scan takes as long as one reduce (see {@link planBalancedChunks}), which gives (w + 2)/(w + 1) × the
 * speed of one thread for a reduce/scan cost ratio w (≈ 1.6× on two threads).
 * {@link runChunkPipelineTask} is self-contained, so the workers run exactly this code.
 */
import type { AffineKernels, AffineTask } from './affine-task.js';

/** One batch member's share of a {@link ChunkPipelineTask}. */
export interface ChunkPipelineMember {
  /** Thread 0: scan chunk 0 from the start state; thread w ≥ 1: reduce chunk w into the aggregates. */
  first: AffineTask;
  /** Scan of chunk `thread + 1` from `second.s0` at `second.s0Offset` (the carry, filled in here). */
  second: AffineTask | null;
  /** Index in `second.out.data` of the last state of chunk 0 (the first carry). */
  lastOf0: number;
  /** Offsets of the aggregates of chunks 1 … thread, in order: `m` at `mOffsets[i]`, `c` at `cOffsets[i]`. */
  mOffsets: number[];
  cOffsets: number[];
}

/** One thread's work of a pipelined chunked scan. */
export interface ChunkPipelineTask {
  kind: 3;
  /** 0 … parties − 1. */
  thread: number;
  /** Threads taking part, the calling thread included. */
  parties: number;
  members: ChunkPipelineMember[];
  /** Int32Array over a SharedArrayBuffer: [0] counts arrivals at the barrier (all members). */
  barrier: Int32Array;
  /** The pool's control block: a set error flag ([1]) releases threads waiting at the barrier. */
  control: Int32Array;
}

/** Runs one thread's share; returns false when a scan produced a non-finite value. */
export function runChunkPipelineTask(
  kernels: AffineKernels,
  runTask: (kernels: AffineKernels, task: AffineTask, work: Float64Array) => boolean,
  task: ChunkPipelineTask,
  work: Float64Array,
): boolean {
  let finite = true;
  const barrier = task.barrier;
  for (let k = 0; k < task.members.length; k++) {
    const member = task.members[k];
    finite = runTask(kernels, member.first, work) && finite;
    Atomics.add(barrier, 0, 1);
    Atomics.notify(barrier, 0);
    // Every thread's first chunk of this member is done: chunk 0's end state and the aggregates exist.
    const target = task.parties * (k + 1);
    for (;;) {
      const arrived = Atomics.load(barrier, 0);
      if (arrived >= target) break;
      if (Atomics.load(task.control, 1) !== 0) throw new Error('another scan thread failed');
      Atomics.wait(barrier, 0, arrived, 20);
    }
    const second = member.second;
    if (second === null) continue;
    const carry = second.s0 as Float64Array;
    const co = second.s0Offset;
    const n = second.size;
    const out = second.out.data;
    for (let i = 0; i < n; i++) carry[co + i] = out[member.lastOf0 + i];
    const m = member.first.m;
    const c = member.first.c;
    for (let i = 0; i < member.mOffsets.length; i++) {
      kernels.apply(
        second.structure,
        n,
        second.blockSize,
        m as Float64Array,
        member.mOffsets[i],
        c as Float64Array,
        member.cOffsets[i],
        carry,
        co,
        work,
      );
    }
    finite = runTask(kernels, second, work) && finite;
  }
  return finite;
}
