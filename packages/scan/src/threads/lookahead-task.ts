/**
 * The look-ahead scan of a single sequence (or of a batch smaller than the thread count): the calling
 * thread (the *front*) scans the sequence block by block from its start state and never waits; each
 * worker reserves a *group* of blocks ahead of the front, composes them one block at a time into affine
 * maps (reads only), and publishes each map as it is done. When the front arrives at a group it *cuts*
 * it: it takes the maps published so far, pushes its state through them and jumps past those blocks,
 * while the worker rescans them from the front's state (the blocks were just read, so they come from
 * its cache). A worker that has published nothing when the front arrives is simply passed, so a worker
 * that gets no core costs nothing but its wasted reads; at the end the front scans from the back any
 * block of the last group that its worker has not started.
 *
 * Each worker adapts how far ahead it reserves to the measured speeds (its reduce, the front's
 * progress), so that the front arrives about when the group is full: with reduce/scan cost ratio w one
 * worker covers 1/(w + 2) of the sequence, (w + 2)/(w + 1) × one thread's speed, with no barrier
 * between the threads. Steps are read at most twice (reduce, rescan) and written once.
 *
 * {@link runLookaheadTask} is self-contained (it only calls what it is given), so the workers run
 * exactly this code.
 */
import type { FloatArray } from '@antler/core';
import type { StridedOperand } from '../affine/sequential.js';
import type { AffineKernels, AffineTask } from './affine-task.js';

/** One sequence of a {@link LookaheadTask}: its operands at scan-order block granularity. */
export interface LookaheadMember {
  /** Structure code (0 diagonal, 1 dense, 2 block), size, block size, direction and transposition. */
  structure: number;
  size: number;
  blockSize: number;
  reverse: boolean;
  transpose: boolean;
  /** Steps of the sequence. */
  length: number;
  /** Steps per block (the last block may be shorter) and the number of blocks. */
  blockSteps: number;
  blocks: number;
  /** The operands with their offsets at physical step 0 of this sequence. */
  a: StridedOperand;
  b: StridedOperand;
  out: StridedOperand;
  /** Start state (`null`: zero). */
  s0: FloatArray | null;
  s0Offset: number;
  /** Index in `words` of this sequence's control words ({@link lookaheadWordCount} of them). */
  wordBase: number;
}

/** One thread's share of a look-ahead scan. */
export interface LookaheadTask {
  kind: 4;
  /** 0: the front (the calling thread); 1 … workers: a worker, which owns slot `thread`. */
  thread: number;
  /** Workers taking part. */
  workers: number;
  /** The sequences, scanned one after another. */
  members: LookaheadMember[];
  /** Whether the operands are float32 (which kernel copy to run). */
  float32: boolean;
  /** Int32Array over a SharedArrayBuffer, zeroed before the dispatch. */
  words: Int32Array;
  /** The dispatch's control block: a set error flag ([1]) releases every waiting thread. */
  control: Int32Array;
  /**
   * Float64 scratch of every worker slot w ≥ 1: the maps of its group (`groupBlocks` operators of
   * `opSize` at `m[(w − 1)·groupBlocks·opSize …]`, offsets at `c[(w − 1)·groupBlocks·n …]`) and its
   * start state at `carry[(w − 1)·n …]`.
   */
  m: Float64Array;
  c: Float64Array;
  carry: Float64Array;
  /** Largest group a worker reserves, in blocks. */
  groupBlocks: number;
  /**
   * Per worker slot w ≥ 1, what it learned in earlier calls: `tuning[2(w − 1)]` its reduce time per
   * block (ms), `tuning[2(w − 1) + 1]` the front's progress (blocks per ms); 0 when unknown.
   */
  tuning: Float64Array;
  /** How long a waiting thread polls before it naps. */
  pollMicroseconds: number;
}

/** Int32 control words per sequence for `workers` workers: each field on its own cache line. */
export function lookaheadWordCount(workers: number): number {
  return (2 + workers) * 16;
}

/**
 * Aims `task` (a scan or aggregate task) at scan-order block `block` of `member`: its length and the
 * offsets of its operands (for a reverse scan, scan-order blocks run from the end of the arrays).
 * Self-contained, like {@link runLookaheadTask}, which is handed it.
 */
export function aimAtBlock(task: AffineTask, member: LookaheadMember, block: number): void {
  const first = block * member.blockSteps;
  const end = Math.min(member.length, first + member.blockSteps);
  const p = member.reverse ? member.length - end : first;
  task.length = end - first;
  task.a.offset = member.a.offset + p * member.a.stride;
  task.b.offset = member.b.offset + p * member.b.stride;
  task.out.offset = member.out.offset + p * member.out.stride;
}

/**
 * Runs one thread's share; returns false when a scan produced a non-finite value. The front returns
 * once every block of every sequence is scanned; a worker returns once the front has passed its last
 * chance to help (it may return while the front is still scanning).
 *
 * Control words of a sequence, 16 Int32 apart: [0] the front's next block, [16] the reservation
 * frontier; per worker slot w at 16·(1 + w): +0 its group's first block (0: none), +1 maps published
 * (−1 once cut), +2 maps taken + 1 (0: not yet cut), +3 rescan claims (first unclaimed | end ≪ 16),
 * +4 blocks rescanned, summed over the sequence.
 */
export function runLookaheadTask(
  kernels: AffineKernels,
  runTask: (kernels: AffineKernels, task: AffineTask, work: Float64Array) => boolean,
  aim: (task: AffineTask, member: LookaheadMember, block: number) => void,
  task: LookaheadTask,
  work: Float64Array,
): boolean {
  const words = task.words;
  const control = task.control;
  const w = task.thread;
  const Q = task.groupBlocks;
  const pollMs = task.pollMicroseconds / 1000;
  let finite = true;
  // One scan/aggregate task object, re-aimed at each block.
  const t: AffineTask = {
    kind: 0,
    structure: 0,
    size: 1,
    blockSize: 1,
    length: 0,
    a: { data: task.carry, offset: 0, stride: 0 },
    b: { data: task.carry, offset: 0, stride: 0 },
    out: { data: task.carry, offset: 0, stride: 0 },
    s0: null,
    s0Offset: 0,
    reverse: false,
    transpose: false,
    m: null,
    mo: 0,
    c: null,
    co: 0,
  };
  // Per worker slot: rescanned-block target (front) and group start / size of the last cut group.
  const target: number[] = [];
  const lastStart: number[] = [];
  for (let i = 0; i <= task.workers; i++) {
    target.push(0);
    lastStart.push(0);
  }
  for (let k = 0; k < task.members.length; k++) {
    const mb = task.members[k];
    const n = mb.size;
    const T = mb.length;
    const Bk = mb.blockSteps;
    const NB = mb.blocks;
    const opSize = mb.structure === 0 ? n : mb.structure === 1 ? n * n : n * mb.blockSize;
    const POS = mb.wordBase;
    const FRONT = mb.wordBase + 16;
    t.structure = mb.structure;
    t.size = n;
    t.blockSize = mb.blockSize;
    t.reverse = mb.reverse;
    t.transpose = mb.transpose;
    t.a.data = mb.a.data;
    t.a.stride = mb.a.stride;
    t.b.data = mb.b.data;
    t.b.stride = mb.b.stride;
    t.out.data = mb.out.data;
    t.out.stride = mb.out.stride;
    if (w === 0) {
      // ---- The front. ----
      for (let i = 1; i <= task.workers; i++) target[i] = 0;
      // Where the state to scan block `blk` from lives: `src` at `srcOffset`.
      let src: FloatArray | null = mb.s0;
      let srcOffset = mb.s0Offset;
      // The state after a jump.
      const state = new Float64Array(n);
      let blk = 0;
      while (blk < NB) {
        let jumped = false;
        for (let i = 1; i <= task.workers && blk > 0; i++) {
          const slot = mb.wordBase + 16 * (1 + i);
          if (Atomics.load(words, slot) !== blk) continue;
          const cnt = Atomics.exchange(words, slot + 1, -1);
          if (cnt <= 0) {
            // Nothing composed yet: pass this group by (its worker abandons it).
            Atomics.store(words, slot + 2, 1);
            continue;
          }
          const cb = (i - 1) * n;
          for (let j = 0; j < n; j++) {
            const v = src === null ? 0 : src[srcOffset + j];
            task.carry[cb + j] = v;
            state[j] = v;
          }
          // Through the maps before telling the worker: once told, it may rescan and reuse them.
          for (let j = 0; j < cnt; j++)
            kernels.apply(
              mb.structure,
              n,
              mb.blockSize,
              task.m,
              ((i - 1) * Q + j) * opSize,
              task.c,
              ((i - 1) * Q + j) * n,
              state,
              0,
              work,
            );
          target[i] += cnt;
          lastStart[i] = blk;
          // Give back the rest of the reservation when nobody reserved beyond it.
          Atomics.compareExchange(words, FRONT, Math.min(NB, blk + Q), blk + cnt);
          blk += cnt;
          src = state;
          srcOffset = 0;
          Atomics.store(words, POS, blk);
          Atomics.store(words, slot + 3, cnt << 16);
          Atomics.store(words, slot + 2, cnt + 1);
          jumped = true;
          break;
        }
        if (jumped) continue;
        t.kind = 0;
        aim(t, mb, blk);
        t.s0 = src;
        t.s0Offset = srcOffset;
        finite = runTask(kernels, t, work) && finite;
        // The next block starts from this block's last state (in scan order).
        src = mb.out.data;
        const e0 = blk * Bk + t.length;
        srcOffset = mb.out.offset + (mb.reverse ? T - e0 : e0 - 1) * mb.out.stride;
        blk++;
        Atomics.store(words, POS, blk);
      }
      // Join: scan from the back whatever the workers have not started, then wait for the rest.
      for (let i = 1; i <= task.workers; i++) {
        if (target[i] === 0) continue;
        const slot = mb.wordBase + 16 * (1 + i);
        for (;;) {
          const cl = Atomics.load(words, slot + 3);
          const first = cl & 0xffff;
          const end = cl >>> 16;
          if (first >= end) break;
          if (Atomics.compareExchange(words, slot + 3, cl, first | ((end - 1) << 16)) !== cl) continue;
          const j = end - 1;
          const cb = (i - 1) * n;
          for (let q = 0; q < n; q++) state[q] = task.carry[cb + q];
          for (let q = 0; q < j; q++)
            kernels.apply(
              mb.structure,
              n,
              mb.blockSize,
              task.m,
              ((i - 1) * Q + q) * opSize,
              task.c,
              ((i - 1) * Q + q) * n,
              state,
              0,
              work,
            );
          t.kind = 0;
          aim(t, mb, lastStart[i] + j);
          t.s0 = state;
          t.s0Offset = 0;
          finite = runTask(kernels, t, work) && finite;
          Atomics.add(words, slot + 4, 1);
        }
        const pollUntil = performance.now() + pollMs;
        while (Atomics.load(words, slot + 4) < target[i]) {
          if (Atomics.load(control, 1) !== 0) throw new Error('a scan worker failed');
          if (performance.now() > pollUntil) Atomics.wait(words, POS + 15, 0, 0.1);
        }
      }
      continue;
    }
    // ---- Worker slot w. ----
    const slot = mb.wordBase + 16 * (1 + w);
    const mBase = (w - 1) * Q * opSize;
    const cBase = (w - 1) * Q * n;
    const carryBase = (w - 1) * n;
    let reduceMs = task.tuning[2 * (w - 1)];
    let frontRate = task.tuning[2 * (w - 1) + 1];
    let done = 0;
    for (;;) {
      if (Atomics.load(control, 1) !== 0) throw new Error('the calling thread failed');
      const pos = Atomics.load(words, POS);
      const frontier = Atomics.load(words, FRONT);
      // Lead: the front should arrive about when the group is full.
      let lead = reduceMs > 0 && frontRate > 0 ? Math.round(0.9 * Q * reduceMs * frontRate) : Q >> 1;
      lead = Math.max(1, Math.min(2 * Q, lead));
      const g = Math.max(pos + lead, frontier);
      if (g >= NB) break;
      const end = Math.min(NB, g + Q);
      if (Atomics.compareExchange(words, FRONT, frontier, end) !== frontier) continue;
      Atomics.store(words, slot + 1, 0);
      Atomics.store(words, slot + 2, 0);
      Atomics.store(words, slot, g);
      const t0 = performance.now();
      let cnt = 0;
      let reduced = 0;
      let reduceTime = 0;
      let stale = false;
      let cutAt = 0;
      const pollUntil = t0 + pollMs;
      for (;;) {
        const published = Atomics.load(words, slot + 1);
        if (published < 0) {
          cutAt = performance.now();
          break;
        }
        // The front went past without seeing the group (it was reserved too late): abandon it.
        if (
          Atomics.load(words, POS) > g &&
          Atomics.compareExchange(words, slot + 1, published, -1) === published
        ) {
          stale = true;
          break;
        }
        if (cnt < end - g) {
          t.kind = 1;
          aim(t, mb, g + cnt);
          t.m = task.m;
          t.mo = mBase + cnt * opSize;
          t.c = task.c;
          t.co = cBase + cnt * n;
          const r0 = performance.now();
          runTask(kernels, t, work);
          const r1 = performance.now();
          if (Atomics.compareExchange(words, slot + 1, cnt, cnt + 1) !== cnt) {
            cutAt = r1;
            break;
          }
          reduceTime += r1 - r0;
          reduced++;
          cnt++;
        } else if (Atomics.load(control, 1) !== 0) {
          throw new Error('the calling thread failed');
        } else if (performance.now() > pollUntil) {
          Atomics.wait(words, POS + 15, 0, 0.1);
        }
      }
      let taken = 0;
      if (!stale) {
        // Set by the front right after its cut.
        let tk = Atomics.load(words, slot + 2);
        while (tk === 0 && Atomics.load(control, 1) === 0) tk = Atomics.load(words, slot + 2);
        taken = tk - 1;
      }
      Atomics.store(words, slot, 0);
      if (reduced > 0) {
        const per = reduceTime / reduced;
        reduceMs = reduceMs > 0 ? 0.5 * reduceMs + 0.5 * per : per;
      }
      if (!stale && cutAt > t0 && g > pos) {
        const rate = (g - pos) / (cutAt - t0);
        frontRate = frontRate > 0 ? 0.5 * frontRate + 0.5 * rate : rate;
      }
      if (taken === 0) continue;
      done += taken;
      // Rescan the taken blocks from the front of the group, from the front's state.
      for (;;) {
        const cl = Atomics.load(words, slot + 3);
        const first = cl & 0xffff;
        const last = cl >>> 16;
        if (first >= last) break;
        if (Atomics.compareExchange(words, slot + 3, cl, (first + 1) | (last << 16)) !== cl) continue;
        const s1 = (g + first) * Bk;
        t.kind = 0;
        aim(t, mb, g + first);
        if (first === 0) {
          t.s0 = task.carry;
          t.s0Offset = carryBase;
        } else {
          t.s0 = mb.out.data;
          t.s0Offset = mb.out.offset + (mb.reverse ? T - s1 : s1 - 1) * mb.out.stride;
        }
        // Reported before the block counts as done: the front may return right after.
        let ok = false;
        let threw = true;
        try {
          ok = runTask(kernels, t, work);
          threw = false;
        } finally {
          if (threw) Atomics.store(control, 1, 1);
          else if (!ok) Atomics.store(control, 2, 1);
          Atomics.add(words, slot + 4, 1);
        }
        finite = ok && finite;
      }
      // The front may be scanning the group's last blocks: the maps stay untouched until it is done.
      const waitUntil = performance.now() + pollMs;
      while (Atomics.load(words, slot + 4) < done) {
        if (Atomics.load(control, 1) !== 0) throw new Error('the calling thread failed');
        if (performance.now() > waitUntil) Atomics.wait(words, POS + 15, 0, 0.1);
      }
    }
    task.tuning[2 * (w - 1)] = reduceMs;
    task.tuning[2 * (w - 1) + 1] = frontRate;
  }
  return finite;
}
