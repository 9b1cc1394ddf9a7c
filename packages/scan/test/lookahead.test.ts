/**
 * The look-ahead threaded scan (fewer sequences than threads), against the plain float64 loops of
 * helpers/reference.ts: on real worker threads with tiny blocks, so that cuts, jumps, abandoned groups
 * and the front's steals all happen (which of them happens is up to the scheduler; the result must not
 * depend on it), and deterministically on the calling thread with a worker's part played by hand.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  affineChunkAggregate,
  affineKernelsFor,
  createThreadedBackend,
  runAffineTask,
  type ThreadedScanBackend,
} from '../src/index.js';
import {
  aimAtBlock,
  type LookaheadTask,
  lookaheadWordCount,
  runLookaheadTask,
} from '../src/threads/lookahead-task.js';
import { rng, uniform } from './helpers/random.js';
import { referenceAffineScan } from './helpers/reference.js';
import { maxRelError } from './helpers/views.js';

type Structure = 'diagonal' | 'dense' | 'block';

function stepSize(structure: Structure, n: number): number {
  return structure === 'dense' ? n * n : structure === 'block' ? 2 * n : n;
}

function shared(count: number, f32 = false): Float64Array | Float32Array {
  return f32
    ? new Float32Array(new SharedArrayBuffer(Math.max(1, count) * 4))
    : new Float64Array(new SharedArrayBuffer(Math.max(1, count) * 8));
}

describe('look-ahead threaded scan on worker threads', () => {
  // Blocks of a few steps and groups of 1–3 blocks: hundreds of cuts per call.
  const backends: ThreadedScanBackend[] = [
    createThreadedBackend({
      threads: 2,
      minWorkPerThread: 1,
      lookaheadBlockBytes: 64,
      lookaheadGroupBlocks: 3,
    }),
    createThreadedBackend({
      threads: 3,
      minWorkPerThread: 1,
      lookaheadBlockBytes: 128,
      lookaheadGroupBlocks: 2,
      chunkAllStructures: true,
      laneSplitMinBytes: Number.POSITIVE_INFINITY,
    }),
    // More threads than this machine may have cores: waits must nap, not spin forever.
    createThreadedBackend({
      threads: 4,
      minWorkPerThread: 1,
      lookaheadBlockBytes: 96,
      lookaheadGroupBlocks: 1,
      spinMicroseconds: 50,
    }),
  ];
  afterAll(() => Promise.all(backends.map((b) => b.dispose())));

  it('equals the float64 loop for random shapes, directions, start states and thread counts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: backends.length - 1 }),
        fc.constantFrom<Structure>('diagonal', 'diagonal', 'block', 'dense'),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1_000_000 }),
        (which, structure, batch, T, halfN, reverse, transpose, withS0, seed) => {
          const backend = backends[which];
          const B = Math.min(batch, backend.threads - 1);
          const n = structure === 'block' ? 2 * halfN : structure === 'dense' ? halfN : 2 * halfN - 1;
          const rand = rng(seed);
          const aStep = stepSize(structure, n);
          // Entries small enough that long products stay finite and large enough to carry far.
          const scale = structure === 'dense' ? 0.9 / n : structure === 'block' ? 0.6 : 1.05;
          const a = shared(B * T * aStep);
          a.set(uniform(rand, B * T * aStep, -scale, scale));
          const b = shared(B * T * n);
          b.set(uniform(rand, B * T * n));
          const s0 = withS0 ? uniform(rand, B * n) : null;
          const out = shared(B * T * n);
          const rep = backend.affineScan({
            structure,
            blockSize: structure === 'block' ? 2 : undefined,
            batch: B,
            length: T,
            size: n,
            a: { data: a },
            b: { data: b },
            s0: s0 ? { data: s0 } : undefined,
            out: { data: out },
            reverse,
            transpose: structure === 'diagonal' ? false : transpose,
          });
          expect(rep.finite).toBe(true);
          const ref = referenceAffineScan(
            structure,
            2,
            B,
            T,
            n,
            a,
            b,
            s0,
            reverse,
            structure === 'diagonal' ? false : transpose,
          );
          expect(maxRelError(out, ref)).toBeLessThanOrEqual(1e-12);
        },
      ),
      // ANTLER_LOOKAHEAD_RUNS=5000 for a long hunt for races (CI: 60).
      {
        numRuns: Number(process.env.ANTLER_LOOKAHEAD_RUNS ?? 60),
        seed: Number(process.env.ANTLER_LOOKAHEAD_SEED ?? 20261122),
      },
    );
  });

  it('float32 operands: within the float32 bound of the float64 loop', () => {
    const rand = rng(12);
    for (const backend of backends) {
      for (const reverse of [false, true]) {
        const T = 5003;
        const n = 3;
        const a = shared(T * n, true);
        a.set(uniform(rand, T * n, -0.95, 0.95));
        const b = shared(T * n, true);
        b.set(uniform(rand, T * n));
        const out = shared(T * n, true);
        const rep = backend.affineScan({
          structure: 'diagonal',
          batch: 1,
          length: T,
          size: n,
          a: { data: a },
          b: { data: b },
          out: { data: out },
          reverse,
        });
        expect(rep.finite).toBe(true);
        const ref = referenceAffineScan('diagonal', 1, 1, T, n, a, b, null, reverse, false);
        // |a| ≤ 0.95: errors are damped; a few float32 roundings of states of size ≤ 20.
        expect(maxRelError(out, ref)).toBeLessThanOrEqual(2e-6);
      }
    }
  });

  it('reports a NaN wherever it is and whichever thread scans it; the next call is clean', () => {
    const T = 3000;
    for (const backend of backends) {
      for (const where of [3, 777, T / 2, T - 2]) {
        const b = shared(T);
        b.fill(1);
        b[where] = Number.NaN;
        const a = shared(T);
        a.fill(0.5);
        const args = {
          structure: 'diagonal' as const,
          batch: 1,
          length: T,
          size: 1,
          a: { data: a },
          b: { data: b },
          out: { data: shared(T) },
        };
        expect(backend.affineScan(args).finite).toBe(false);
        b[where] = 1;
        expect(backend.affineScan(args).finite).toBe(true);
      }
    }
  });

  it('back-to-back calls of different shapes reuse their records without mixing them up', () => {
    const rand = rng(31);
    const backend = backends[0];
    for (let call = 0; call < 40; call++) {
      const T = 500 + Math.floor(rand() * 3000);
      const n = 1 + Math.floor(rand() * 4);
      const a = uniform(rand, T * n, -1, 1);
      const b = uniform(rand, T * n);
      const out = new Float64Array(T * n); // not shared: staged
      backend.affineScan({
        structure: 'diagonal',
        batch: 1,
        length: T,
        size: n,
        a: { data: a },
        b: { data: b },
        out: { data: out },
      });
      expect(
        maxRelError(out, referenceAffineScan('diagonal', 1, 1, T, n, a, b, null, false, false)),
      ).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('look-ahead task on the calling thread', () => {
  /** A one-sequence task set for `workers` workers over contiguous float64 operands. */
  function setup(
    T: number,
    n: number,
    blockSteps: number,
    groupBlocks: number,
    workers: number,
    reverse: boolean,
  ) {
    const rand = rng(T + n);
    const a = uniform(rand, T * n, -1.1, 1.1);
    const b = uniform(rand, T * n);
    const s0 = uniform(rand, n);
    const out = new Float64Array(T * n);
    const member = {
      structure: 0,
      size: n,
      blockSize: 1,
      reverse,
      transpose: false,
      length: T,
      blockSteps,
      blocks: Math.ceil(T / blockSteps),
      a: { data: a, offset: 0, stride: n },
      b: { data: b, offset: 0, stride: n },
      out: { data: out, offset: 0, stride: n },
      s0,
      s0Offset: 0,
      wordBase: 0,
    };
    const words = new Int32Array(lookaheadWordCount(workers));
    const base = {
      workers,
      members: [member],
      float32: false,
      words,
      control: new Int32Array(4),
      m: new Float64Array(workers * groupBlocks * n),
      c: new Float64Array(workers * groupBlocks * n),
      carry: new Float64Array(workers * n),
      groupBlocks,
      tuning: new Float64Array(2 * workers),
      pollMicroseconds: 0,
    };
    const tasks: LookaheadTask[] = [];
    for (let th = 0; th <= workers; th++) tasks.push({ kind: 4, thread: th, ...base });
    const ref = referenceAffineScan('diagonal', 1, 1, T, n, a, b, s0, reverse, false);
    return { a, b, out, words, member, tasks, ref };
  }

  it('the front alone scans everything; a worker arriving afterwards writes nothing', () => {
    for (const reverse of [false, true]) {
      const { out, tasks, ref } = setup(1009, 3, 50, 4, 2, reverse);
      const kernels = affineKernelsFor('float64');
      const work = new Float64Array(32);
      expect(runLookaheadTask(kernels, runAffineTask, aimAtBlock, tasks[0], work)).toBe(true);
      expect(maxRelError(out, ref)).toBeLessThanOrEqual(1e-12);
      const before = out.slice();
      for (const late of tasks.slice(1))
        expect(runLookaheadTask(kernels, runAffineTask, aimAtBlock, late, work)).toBe(true);
      expect(out).toEqual(before);
    }
  });

  it('the front cuts a group a worker has composed, jumps it, and scans it from the back when the worker never comes', () => {
    for (const reverse of [false, true]) {
      for (const [g, published] of [
        [3, 4],
        [5, 1],
        [7, 0],
        [17, 3], // the group ends at the last block
      ]) {
        const T = 997;
        const n = 2;
        const Bk = 50; // 20 blocks, the last one 47 steps
        const Q = 4;
        const { a, b, out, words, member, tasks, ref } = setup(T, n, Bk, Q, 1, reverse);
        // Play worker 1: reserve blocks [g, g + Q), publish the maps of the first `published`.
        const slot = 16 * 2;
        words[16] = Math.min(member.blocks, g + Q);
        words[slot] = g;
        for (let j = 0; j < published; j++) {
          const s1 = (g + j) * Bk;
          const e1 = Math.min(T, s1 + Bk);
          const p1 = reverse ? T - e1 : s1;
          affineChunkAggregate(
            0,
            e1 - s1,
            n,
            1,
            { data: a, offset: p1 * n, stride: n },
            { data: b, offset: p1 * n, stride: n },
            reverse,
            false,
            tasks[0].m,
            j * n,
            tasks[0].c,
            j * n,
            new Float64Array(8),
          );
        }
        words[slot + 1] = published;
        const work = new Float64Array(32);
        expect(runLookaheadTask(affineKernelsFor('float64'), runAffineTask, aimAtBlock, tasks[0], work)).toBe(
          true,
        );
        expect(maxRelError(out, ref)).toBeLessThanOrEqual(1e-12);
        // The cut froze the group and told the worker how much was taken.
        expect(words[slot + 1]).toBe(-1);
        expect(words[slot + 2]).toBe(published + 1);
        // Every taken block was rescanned (by the front, from the back).
        expect(words[slot + 4]).toBe(published);
        expect(words[0]).toBe(member.blocks);
      }
    }
  });
});
