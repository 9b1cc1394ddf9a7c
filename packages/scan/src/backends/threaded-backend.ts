/**
 * The multi-threaded CPU backend: `worker_threads` + `SharedArrayBuffer`. A batch at least as large as
 * the thread count is split by batch member (no extra work); otherwise each sequence runs the chunked
 * three-phase scan with one chunk per thread (independent lanes of a wide diagonal or block-diagonal
 * sequence are split across threads instead); the sequences of a batched Kalman scan are spread over
 * the threads. Arrays that are not SharedArrayBuffer-backed are copied
 * into shared staging buffers and the output copied back: pass SharedArrayBuffer-backed arrays to avoid
 * those copies.
 */
import {
  type AffineScanArgs,
  checkInteger,
  type FloatArray,
  type KalmanScanArgs,
  type ResolvedView,
  type ScanBackend,
  type ScanReport,
  viewExtent,
  operatorStepSize,
} from '@antler/core';
import { type ChunkedScratch, chunkTasks } from '../affine/chunked.js';
import { aggregateOperatorSize, STRUCTURE_CODE } from '../affine/aggregate.js';
import { type ResolvedAffineArgs, resolveAffineArgs } from '../affine/validate-args.js';
import { kalmanScanSequential } from '../kalman/sequential-kalman.js';
import { type ResolvedKalmanArgs, resolveKalmanArgs } from '../kalman/validate-kalman-args.js';
import type { KalmanTask } from '../threads/kalman-task.js';
import type { AffineTask } from '../threads/affine-task.js';
import { type LookaheadMember, type LookaheadTask, lookaheadWordCount } from '../threads/lookahead-task.js';
import { hardwareThreads } from '../threads/node-builtins.js';
import { ScanWorkerPool } from '../threads/worker-pool.js';
import { affineScanSequential } from './sequential-backend.js';
import { CPU_CAPABILITIES } from './cpu-capabilities.js';

/** Options of {@link createThreadedBackend}. */
export interface ThreadedBackendOptions {
  /** Threads in all, the calling thread included (default: `os.availableParallelism()`). */
  readonly threads?: number;
  /**
   * Below this many steps × state size per thread a call runs on the calling thread alone
   * (default 16384: thread hand-off costs tens of microseconds).
   */
  readonly minWorkPerThread?: number;
  /**
   * Also split single dense and block-diagonal sequences into chunks (default false: their chunk
   * aggregates cost n or k times the scan, so this only pays with many more threads than n).
   */
  readonly chunkAllStructures?: boolean;
  /**
   * Split the lanes of diagonal (the blocks of block-diagonal) sequences across threads when each
   * thread's share of a step is at least this many bytes (default 4096; `Infinity` never splits lanes).
   * Lane splitting needs no extra work, but the threads' shares meet inside a cache line at every step
   * unless the array starts on one, which JavaScript cannot tell (large buffers typically start 16 bytes
   * past a page): measured 0.74× one thread for n = 32 float64 halves (256-byte steps), against 1.14×
   * for the pipelined chunks. From a few kilobytes per share that shared line no longer matters.
   */
  readonly laneSplitMinBytes?: number;
  /**
   * How long an idle worker keeps polling for the next call before it sleeps, in microseconds
   * (default 1000; also how long a thread waiting for another polls before it sleeps). A sleeping worker can take up to a millisecond to wake on a virtual machine, more
   * than a whole 10⁶-step scan takes; back-to-back calls (a solver's iterations) find a polling worker
   * running. 0 sleeps at once.
   */
  readonly spinMicroseconds?: number;
  /**
   * A single sequence scanned by several threads is handed out in blocks of about this many bytes of
   * operands (A and b; default 256 KiB): the calling thread scans block after block while the workers
   * compose blocks ahead of it and rescan them once it has passed (see lookahead-task.ts). Smaller
   * blocks balance the threads more finely; each block costs about a microsecond of bookkeeping.
   */
  readonly lookaheadBlockBytes?: number;
  /**
   * The most blocks a worker composes ahead of the calling thread before it waits for it (default 8):
   * a worker rescans its blocks right after the calling thread passes them, so they should still be in
   * its cache (8 × 256 KiB of operands fits a 2 MiB L2).
   */
  readonly lookaheadGroupBlocks?: number;
}

/** A {@link ScanBackend} that owns worker threads: call `dispose()` when done. */
export interface ThreadedScanBackend extends ScanBackend {
  /** Threads in all, the calling thread included. */
  readonly threads: number;
  /** Synchronous: the calling thread waits for the workers. */
  affineScan(args: AffineScanArgs): ScanReport;
  kalmanScan(args: KalmanScanArgs): ScanReport;
  dispose(): Promise<void>;
}

function isShared(data: FloatArray): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
}

/** Reusable SharedArrayBuffer-backed staging arrays, one per role. */
class Staging {
  private readonly cache = new Map<string, FloatArray>();

  /** A shared copy of the elements `[offset, extent)` of a view, and the view rebased onto it. */
  stage(role: string, view: ResolvedView, extent: number, copyIn: boolean): ResolvedView {
    if (isShared(view.data)) return view;
    const len = Math.max(1, extent - view.offset);
    const f32 = view.data instanceof Float32Array;
    const key = `${role}:${f32 ? 32 : 64}`;
    let buf = this.cache.get(key);
    if (!buf || buf.length < len) {
      const bytes = len * (f32 ? 4 : 8);
      buf = f32
        ? new Float32Array(new SharedArrayBuffer(bytes))
        : new Float64Array(new SharedArrayBuffer(bytes));
      this.cache.set(key, buf);
    }
    if (copyIn) buf.set(view.data.subarray(view.offset, extent));
    return { data: buf, offset: 0, timeStride: view.timeStride, batchStride: view.batchStride };
  }

  /** Shared float64 scratch. */
  float64(role: string, len: number): Float64Array {
    const key = `${role}:scratch`;
    let buf = this.cache.get(key) as Float64Array | undefined;
    if (!buf || buf.length < len) {
      buf = new Float64Array(new SharedArrayBuffer(Math.max(1, len) * 8));
      this.cache.set(key, buf);
    }
    return buf;
  }

  clear(): void {
    this.cache.clear();
  }
}

/**
 * Creates the threaded CPU backend. Synchronous (the calling thread waits with `Atomics.wait`), so the
 * solvers' synchronous entry points accept it.
 *
 * @example
 * ```ts
 * import { createThreadedBackend } from '@antler/scan';
 * const backend = createThreadedBackend({ threads: 2 });
 * const T = 1_000_000;
 * const a = new Float64Array(new SharedArrayBuffer(T * 8)).fill(0.5); // shared: no staging copies
 * const b = new Float64Array(new SharedArrayBuffer(T * 8)).fill(1);
 * const out = new Float64Array(new SharedArrayBuffer(T * 8));
 * backend.affineScan({ structure: 'diagonal', batch: 1, length: T, size: 1, a: { data: a }, b: { data: b }, out: { data: out } });
 * await backend.dispose();
 * ```
 */
export function createThreadedBackend(options: ThreadedBackendOptions = {}): ThreadedScanBackend {
  const threads = checkInteger(options.threads ?? hardwareThreads(), 'threads');
  const minWork = options.minWorkPerThread ?? 16384;
  const laneSplitMinBytes = options.laneSplitMinBytes ?? 4096;
  const spin = options.spinMicroseconds ?? 1000;
  const blockBytes = options.lookaheadBlockBytes ?? 262144;
  const groupBlocks = checkInteger(options.lookaheadGroupBlocks ?? 8, 'lookaheadGroupBlocks');
  if (groupBlocks < 1 || groupBlocks > 32767)
    throw new RangeError(`lookaheadGroupBlocks must be in [1, 32767], got ${groupBlocks}`);
  const pool = new ScanWorkerPool(threads - 1, spin);
  const staging = new Staging();

  /** Whether to split lanes (blocks) across threads: enough of them, each thread's share ≥ `laneSplitMinBytes`. */
  function laneSplit(r: ResolvedAffineArgs): boolean {
    if (r.structure === 'dense') return false;
    const groups = r.structure === 'block' ? r.size / r.blockSize : r.size;
    const bytesPerThread = (r.size / threads) * (r.out.data instanceof Float32Array ? 4 : 8);
    return groups >= threads && bytesPerThread >= laneSplitMinBytes;
  }

  function runKalmanThreaded(r0: ResolvedKalmanArgs): boolean {
    const shape = { batch: r0.batch, length: r0.length };
    const n = r0.size;
    const aStep = r0.structure === 'dense' ? n * n : n;
    const a = staging.stage('a', r0.a, viewExtent(r0.a, shape, aStep), true);
    const b = staging.stage('b', r0.b, viewExtent(r0.b, shape, n), true);
    const y = staging.stage('y', r0.y, viewExtent(r0.y, shape, n), true);
    const s0 = r0.s0
      ? staging.stage('s0', r0.s0, viewExtent(r0.s0, { batch: r0.batch, length: 1 }, n), true)
      : null;
    const outExtent = viewExtent(r0.out, shape, n);
    const out = staging.stage('out', r0.out, outExtent, true);
    const used = Math.min(threads, r0.batch);
    const perThread: KalmanTask[][] = Array.from({ length: used }, () => []);
    const per = Math.ceil(r0.batch / used);
    for (let kb = 0; kb < r0.batch; kb++) {
      const op = (v: ResolvedView) => ({
        data: v.data,
        offset: v.offset + kb * v.batchStride,
        stride: v.timeStride,
      });
      perThread[Math.floor(kb / per)].push({
        kind: 2,
        structure: r0.structure === 'dense' ? 1 : 0,
        length: r0.length,
        size: n,
        a: op(a),
        b: op(b),
        y: op(y),
        out: op(out),
        s0: s0 ? s0.data : null,
        s0Offset: s0 ? s0.offset + kb * s0.batchStride : 0,
        q: r0.q,
        r: r0.r,
        smooth: r0.smooth,
      });
    }
    const finite = pool.run(perThread, 1);
    if (out !== r0.out) r0.out.data.set(out.data.subarray(0, outExtent - r0.out.offset), r0.out.offset);
    return finite;
  }

  /**
   * Per-call state of a look-ahead scan. A call returns once every block is scanned, possibly while a
   * worker is still giving up on a last group; its record is reused only after every worker has
   * reported done.
   */
  interface LookaheadRecord {
    words: Int32Array;
    control: Int32Array;
    m: Float64Array;
    c: Float64Array;
    carry: Float64Array;
    jobs: number;
  }
  const records: LookaheadRecord[] = [];
  /** What the workers learned about their speed in earlier calls, per problem shape. */
  const tunings = new Map<string, Float64Array>();

  function lookaheadRecord(wordCount: number, mCount: number, cCount: number): LookaheadRecord {
    const free = (rec: LookaheadRecord) => Atomics.load(rec.control, 0) >= rec.jobs;
    let rec = records.find(
      (x) => free(x) && x.words.length >= wordCount && x.m.length >= mCount && x.c.length >= cCount,
    );
    if (!rec) {
      // At most a few records in use at once: wait for the oldest one's workers rather than grow.
      if (records.length >= 4) {
        const oldest = records.shift() as LookaheadRecord;
        for (;;) {
          const d = Atomics.load(oldest.control, 0);
          if (d >= oldest.jobs) break;
          Atomics.wait(oldest.control, 0, d, 100);
        }
      }
      const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
      rec = {
        words: new Int32Array(shared(4 * wordCount)),
        control: new Int32Array(shared(16)),
        m: new Float64Array(shared(8 * mCount)),
        c: new Float64Array(shared(8 * cCount)),
        carry: new Float64Array(shared(8 * cCount)),
        jobs: 0,
      };
      records.push(rec);
    }
    rec.words.fill(0);
    rec.control.fill(0);
    return rec;
  }

  /**
   * Sequences fewer than the threads, scanned one after another by all threads in one dispatch (see
   * lookahead-task.ts): the calling thread scans from the start onwards without waiting while the
   * workers compose blocks ahead of it and rescan the blocks it jumps over.
   */
  function runLookahead(r: ResolvedAffineArgs, workSize: number): boolean {
    const n = r.size;
    const workers = threads - 1;
    const f32 = r.out.data instanceof Float32Array;
    const stepBytes = (operatorStepSize(r.structure, n, r.blockSize) + n) * (f32 ? 4 : 8);
    // Blocks of about blockBytes of operands, but at least 16 per thread when the sequence allows it
    // (never below ~1024 elements: each block costs a call).
    const fit = Math.ceil(r.length / (16 * threads));
    const blockSteps = Math.max(
      1,
      Math.min(Math.floor(blockBytes / stepBytes), Math.max(fit, Math.ceil(1024 / n))),
    );
    const blocks = Math.ceil(r.length / blockSteps);
    const code = STRUCTURE_CODE[r.structure];
    const opSize = aggregateOperatorSize(code, n, r.blockSize);
    const perMember = lookaheadWordCount(workers);
    const rec = lookaheadRecord(
      r.batch * perMember,
      workers * groupBlocks * opSize,
      workers * groupBlocks * n,
    );
    const key = `${code}:${n}:${r.blockSize}:${f32}:${blockSteps}`;
    let tuning = tunings.get(key);
    if (!tuning) {
      tuning = new Float64Array(new SharedArrayBuffer(16 * workers));
      tunings.set(key, tuning);
    }
    const members: LookaheadMember[] = [];
    for (let k = 0; k < r.batch; k++) {
      const at = (v: ResolvedView) => ({
        data: v.data,
        offset: v.offset + k * v.batchStride,
        stride: v.timeStride,
      });
      members.push({
        structure: code,
        size: n,
        blockSize: r.blockSize,
        reverse: r.reverse,
        transpose: r.transpose,
        length: r.length,
        blockSteps,
        blocks,
        a: at(r.a),
        b: at(r.b),
        out: at(r.out),
        s0: r.s0 ? r.s0.data : null,
        s0Offset: r.s0 ? r.s0.offset + k * r.s0.batchStride : 0,
        wordBase: k * perMember,
      });
    }
    const tasks: LookaheadTask[] = [];
    for (let th = 0; th <= workers; th++) {
      tasks.push({
        kind: 4,
        thread: th,
        workers,
        members,
        float32: f32,
        words: rec.words,
        control: rec.control,
        m: rec.m,
        c: rec.c,
        carry: rec.carry,
        groupBlocks,
        tuning,
        pollMicroseconds: spin,
      });
    }
    rec.jobs = workers;
    pool.post(
      tasks.slice(1).map((t) => [t]),
      workSize,
      rec.control,
    );
    let finite: boolean;
    try {
      finite = pool.runHere(tasks[0], workSize);
    } catch (error) {
      // Workers waiting for this thread give up on the error flag.
      Atomics.store(rec.control, 1, 1);
      throw error;
    }
    if (Atomics.load(rec.control, 1) !== 0) throw new Error(`scan worker failed: ${pool.lastWorkerError()}`);
    return finite && Atomics.load(rec.control, 2) === 0;
  }

  function runThreaded(r0: ResolvedAffineArgs): boolean {
    const shape = { batch: r0.batch, length: r0.length };
    const aStep = operatorStepSize(r0.structure, r0.size, r0.blockSize);
    const a = staging.stage('a', r0.a, viewExtent(r0.a, shape, aStep), true);
    const b = staging.stage('b', r0.b, viewExtent(r0.b, shape, r0.size), true);
    const s0 = r0.s0
      ? staging.stage('s0', r0.s0, viewExtent(r0.s0, { batch: r0.batch, length: 1 }, r0.size), true)
      : null;
    // The output is copied in too: elements between strided steps must survive the copy back.
    const outExtent = viewExtent(r0.out, shape, r0.size);
    const out = staging.stage('out', r0.out, outExtent, !isShared(r0.out.data));
    const r: ResolvedAffineArgs = { ...r0, a, b, s0, out };
    const n = r.size;
    const workSize = n * n + 2 * n + 2;
    let finite = true;
    if (r.batch >= threads) {
      // Whole sequences per thread: no extra work at all.
      const perThread: AffineTask[][] = Array.from({ length: threads }, () => []);
      const scratch: ChunkedScratch = {
        m: staging.float64('m', 1),
        c: staging.float64('c', 1),
        carries: staging.float64('carries', 1),
        work: new Float64Array(workSize),
      };
      for (let k = 0; k < r.batch; k++) {
        const per = Math.ceil(r.batch / threads);
        perThread[Math.floor(k / per)].push(...chunkTasks(r, k, [0, r.length], scratch, 1));
      }
      finite = pool.run(perThread, workSize);
    } else if (laneSplit(r)) {
      // Independent lanes (diagonal) or blocks: each thread scans a contiguous range of them over the
      // whole sequence — no extra work, unlike chunking in time.
      const k = r.structure === 'block' ? r.blockSize : 1;
      const groups = n / k;
      const perThread: AffineTask[][] = Array.from({ length: threads }, () => []);
      const scratch: ChunkedScratch = {
        m: staging.float64('m', 1),
        c: staging.float64('c', 1),
        carries: staging.float64('carries', 1),
        work: new Float64Array(workSize),
      };
      for (let kb = 0; kb < r.batch; kb++) {
        const [task] = chunkTasks(r, kb, [0, r.length], scratch, 1);
        for (let th = 0; th < threads; th++) {
          const g0 = Math.round((th * groups) / threads);
          const g1 = Math.round(((th + 1) * groups) / threads);
          if (g1 <= g0) continue;
          const lane0 = g0 * k;
          perThread[th].push({
            ...task,
            size: (g1 - g0) * k,
            a: { ...task.a, offset: task.a.offset + lane0 * k },
            b: { ...task.b, offset: task.b.offset + lane0 },
            out: { ...task.out, offset: task.out.offset + lane0 },
            s0Offset: task.s0Offset + lane0,
          });
        }
      }
      finite = pool.run(perThread, workSize);
    } else {
      finite = runLookahead(r, workSize);
    }
    if (out !== r0.out) r0.out.data.set(out.data.subarray(0, outExtent - r0.out.offset), r0.out.offset);
    return finite;
  }

  return {
    name: `cpu-threaded-${threads}`,
    synchronous: true,
    threads,
    capabilities: CPU_CAPABILITIES,
    affineScan(args: AffineScanArgs): ScanReport {
      const r = resolveAffineArgs(args);
      const perThread = (r.batch * r.length * r.size) / threads;
      // Chunking a single sequence costs an aggregate pass: for dense (block) operators an n×n (k×k)
      // product per step, n (k) times the scan itself, so on few threads it cannot win; only whole
      // sequences are spread then.
      const chunkable = r.structure === 'diagonal' || (options.chunkAllStructures ?? false) || laneSplit(r);
      if (
        threads === 1 ||
        perThread < minWork ||
        (r.batch < threads && (!chunkable || r.length < 2 * threads))
      ) {
        return affineScanSequential(args);
      }
      return { finite: runThreaded(r) };
    },
    // Kalman scans: the sequences of a batch are spread over the threads (one sequence stays on the
    // calling thread: the filter is inherently sequential; the parallel form is ~10× the work).
    kalmanScan(args: KalmanScanArgs): ScanReport {
      const r = resolveKalmanArgs(args);
      const step = r.structure === 'dense' ? r.size * r.size : r.size;
      if (threads === 1 || r.batch < 2 || (r.batch * r.length * step) / threads < minWork) {
        return kalmanScanSequential(args);
      }
      return { finite: runKalmanThreaded(r) };
    },
    async dispose(): Promise<void> {
      staging.clear();
      await pool.dispose();
    },
  };
}
