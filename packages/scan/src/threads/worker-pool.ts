/**
 * A pool of scan workers, reused across calls. The calling thread blocks in `Atomics.wait` while the
 * workers run (Node allows this on the main thread), so the threaded backend stays synchronous, and
 * takes a share of the work itself.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { BackendUnavailableError } from '@antler/core';
import { choleskyInPlace, choleskySolveVector } from '../linalg/cholesky.js';
import { denseKalmanSequential, diagonalKalmanSequential } from '../kalman/sequential-kalman.js';
import { type AffineTask, runAffineTask } from './affine-task.js';
import { aimAtBlock, type LookaheadTask, runLookaheadTask } from './lookahead-task.js';
import { type KalmanKernels, type KalmanTask, runKalmanTask } from './kalman-task.js';
import { workerThreads } from './node-builtins.js';
import {
  CONTROL_DONE,
  CONTROL_ERROR,
  CONTROL_NONFINITE,
  SIGNAL_READY,
  SIGNAL_SEQ,
  SIGNAL_STOP,
  scanWorkerSource,
} from './worker-source.js';
import { affineKernelsFor } from '../affine/kernels-by-dtype.js';

const LOCAL_KALMAN_KERNELS: KalmanKernels = {
  dense: denseKalmanSequential,
  diagonal: diagonalKalmanSequential,
  linalg: { cholesky: choleskyInPlace, solveVector: choleskySolveVector },
};

/** How long a phase may take before the pool gives up on a worker (a crashed worker never reports). */
const PHASE_TIMEOUT_MS = 10 * 60 * 1000;

/** A fixed-size set of worker threads running {@link AffineTask} lists. */
export class ScanWorkerPool {
  /** Worker threads (the calling thread is not counted). */
  readonly size: number;
  private workers: Worker[] = [];
  private ports: MessagePort[] = [];
  private signals: Int32Array[] = [];
  private readonly spinMicroseconds: number;
  private readonly control = new Int32Array(new SharedArrayBuffer(16));
  private work = new Float64Array(64);
  /** UTF-8 text of the last worker exception. */
  private readonly errorText = new Uint8Array(new SharedArrayBuffer(2048));
  private disposed = false;

  /**
   * @param size - worker threads.
   * @param spinMicroseconds - how long an idle worker polls for the next dispatch before it sleeps.
   */
  constructor(size: number, spinMicroseconds = 2000) {
    this.size = size;
    this.spinMicroseconds = spinMicroseconds;
  }

  private ensureStarted(): void {
    if (this.disposed) throw new BackendUnavailableError('cpu-threaded', 'the backend was disposed');
    if (this.workers.length === this.size) return;
    const { Worker: WorkerClass, MessageChannel: Channel } = workerThreads();
    const source = scanWorkerSource();
    for (let i = this.workers.length; i < this.size; i++) {
      const worker = new WorkerClass(source, { eval: true });
      const { port1, port2 } = new Channel();
      const signal = new Int32Array(new SharedArrayBuffer(12));
      worker.postMessage({ port: port2, signal, spinMicroseconds: this.spinMicroseconds }, [port2]);
      port1.unref();
      this.ports.push(port1);
      this.signals.push(signal);
      // Idle workers must not keep the process alive.
      worker.unref();
      // Exceptions inside a task are reported through the control block; this only keeps an
      // unexpected crash from becoming an uncaught exception of the host process.
      worker.on('error', () => {});
      this.workers.push(worker);
    }
    // Wait (once) until the workers have compiled and primed their kernels: a call posted earlier would
    // be done by the calling thread alone while the workers start, and the workers' start would land
    // in some later call instead.
    const deadline = Date.now() + 10_000;
    for (const signal of this.signals) {
      while (Atomics.load(signal, SIGNAL_READY) === 0 && Date.now() < deadline)
        Atomics.wait(signal, SIGNAL_READY, 0, 50);
    }
  }

  /**
   * Runs `perThread[0]` on the calling thread and `perThread[1 + w]` on worker w, all at once, and
   * returns when all are done. Every array a task touches must live in a SharedArrayBuffer.
   * Returns false when a scan produced a non-finite value.
   */
  run(perThread: readonly (AffineTask | KalmanTask | LookaheadTask)[][], workSize: number): boolean {
    const jobs = perThread.length - 1;
    if (jobs > this.size)
      throw new RangeError(`at most ${this.size + 1} task lists, got ${perThread.length}`);
    const control = this.control;
    control.fill(0);
    this.post(perThread.slice(1), workSize, control);
    if (this.work.length < workSize) this.work = new Float64Array(workSize);
    let finite = true;
    let localError: unknown;
    try {
      for (const task of perThread[0]) finite = this.runHere(task) && finite;
    } catch (error) {
      // Release workers waiting for this thread (look-ahead tasks wait for each other), then report.
      Atomics.store(control, CONTROL_ERROR, 1);
      localError = error ?? new Error('scan task failed');
    }
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    // Poll for a moment before sleeping: a sleeping thread can take a millisecond to be woken on a
    // virtual machine, longer than a whole 10⁶-step scan.
    const pollUntil = performance.now() + this.spinMicroseconds / 1000;
    while (Atomics.load(control, CONTROL_DONE) < jobs && performance.now() < pollUntil) {}
    for (;;) {
      const done = Atomics.load(control, CONTROL_DONE);
      if (done >= jobs) break;
      if (Date.now() > deadline) throw new Error(`scan worker did not answer within ${PHASE_TIMEOUT_MS} ms`);
      Atomics.wait(control, CONTROL_DONE, done, 1000);
    }
    if (localError !== undefined) throw localError;
    if (Atomics.load(control, CONTROL_ERROR) !== 0) {
      const end = this.errorText.indexOf(0);
      const text = new TextDecoder().decode(this.errorText.slice(0, end < 0 ? undefined : end));
      throw new Error(`scan worker failed: ${text}`);
    }
    return finite && Atomics.load(control, CONTROL_NONFINITE) === 0;
  }

  /**
   * Posts `perWorker[w]` to worker w and returns at once; each worker adds 1 to `control[0]` when done
   * with its list (an empty list counts as done now), sets `control[1]` on an exception and
   * `control[2]` when a scan produced a non-finite value.
   */
  post(
    perWorker: readonly (AffineTask | KalmanTask | LookaheadTask)[][],
    workSize: number,
    control: Int32Array,
  ): void {
    const jobs = perWorker.length;
    if (jobs > this.size) throw new RangeError(`at most ${this.size} worker task lists, got ${jobs}`);
    if (jobs > 0) this.ensureStarted();
    for (let w = 0; w < jobs; w++) {
      if (perWorker[w].length === 0) {
        Atomics.add(control, CONTROL_DONE, 1);
        continue;
      }
      // Post, then signal: the worker takes the message synchronously once it sees the new number.
      this.ports[w].postMessage({ tasks: perWorker[w], control, workSize, errorText: this.errorText });
      Atomics.add(this.signals[w], SIGNAL_SEQ, 1);
      Atomics.notify(this.signals[w], SIGNAL_SEQ);
    }
  }

  /** The text of the last exception a worker reported. */
  lastWorkerError(): string {
    const end = this.errorText.indexOf(0);
    return new TextDecoder().decode(this.errorText.slice(0, end < 0 ? undefined : end));
  }

  /** Runs one task on the calling thread (with the calling thread's kernel copies). */
  runHere(task: AffineTask | KalmanTask | LookaheadTask, workSize = 64): boolean {
    if (this.work.length < workSize) this.work = new Float64Array(workSize);
    if (task.kind === 2) return runKalmanTask(LOCAL_KALMAN_KERNELS, task);
    if (task.kind === 4) {
      const kernels = affineKernelsFor(task.float32 ? 'float32' : 'float64');
      return runLookaheadTask(kernels, runAffineTask, aimAtBlock, task, this.work);
    }
    return runAffineTask(
      affineKernelsFor(task.out.data instanceof Float32Array ? 'float32' : 'float64'),
      task,
      this.work,
    );
  }

  /** The control block that {@link ScanWorkerPool.run} hands to the workers (its error flag releases barriers). */
  get controlBlock(): Int32Array {
    return this.control;
  }

  /** Terminates every worker; the pool cannot be used afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const workers = this.workers;
    for (const signal of this.signals) {
      Atomics.store(signal, SIGNAL_STOP, 1);
      Atomics.add(signal, SIGNAL_SEQ, 1);
      Atomics.notify(signal, SIGNAL_SEQ);
    }
    for (const port of this.ports) port.close();
    this.workers = [];
    this.ports = [];
    this.signals = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
