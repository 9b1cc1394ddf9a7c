/**
 * The source text of a scan worker. Workers are started with `eval: true` from this string, so the
 * threaded backend works from TypeScript sources (vitest), from the built `dist/`, and inside a single
 * bundled file alike: there is no worker file to locate. The string is assembled from the very functions
 * the calling thread runs (`Function.prototype.toString`), which is why those functions are
 * self-contained. (Coverage tools that instrument source text break this; V8 coverage does not.)
 */
import { affineChunkAggregate, applyChunkAggregate } from '../affine/aggregate.js';
import { blockScanSequential, denseScanSequential, diagonalScanSequential } from '../affine/sequential.js';
import { choleskyInPlace, choleskySolveVector } from '../linalg/cholesky.js';
import { denseKalmanSequential, diagonalKalmanSequential } from '../kalman/sequential-kalman.js';
import { runAffineTask } from './affine-task.js';
import { aimAtBlock, runLookaheadTask } from './lookahead-task.js';
import { primeAffineKernels } from '../affine/prime-kernels.js';
import { runKalmanTask } from './kalman-task.js';

/** Control block layout (Int32Array over a SharedArrayBuffer): [0] finished-task-lists counter, [1] error flag, [2] non-finite flag. */
export const CONTROL_DONE = 0;
export const CONTROL_ERROR = 1;
export const CONTROL_NONFINITE = 2;
/** Signal block layout (Int32Array, one per worker): [0] dispatch sequence number, [1] stop flag, [2] ready. */
export const SIGNAL_SEQ = 0;
export const SIGNAL_STOP = 1;
export const SIGNAL_READY = 2;

/** Source text of an object literal holding the affine kernels. */
function affineKernelsSource(): string {
  return `{
  diagonal: (${diagonalScanSequential.toString()}),
  dense: (${denseScanSequential.toString()}),
  block: (${blockScanSequential.toString()}),
  aggregate: (${affineChunkAggregate.toString()}),
  apply: (${applyChunkAggregate.toString()}),
}`;
}

/** Builds the worker's source text. */
export function scanWorkerSource(): string {
  return `'use strict';
// Tools that keep function names (esbuild's keepNames, hence tsx) insert calls to a __name helper into
// the stringified functions below; give them one.
const __name = (fn) => fn;
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
// One copy of the kernels per dtype, each its own function literal so that V8 keeps separate type
// feedback and both stay monomorphic (see kernels-by-dtype.ts).
const K64 = ${affineKernelsSource()};
const K32 = ${affineKernelsSource()};
const KK = {
  dense: (${denseKalmanSequential.toString()}),
  diagonal: (${diagonalKalmanSequential.toString()}),
  linalg: { cholesky: (${choleskyInPlace.toString()}), solveVector: (${choleskySolveVector.toString()}) },
};
const runAffineTask = (${runAffineTask.toString()});
const runKalmanTask = (${runKalmanTask.toString()});
const runLookaheadTask = (${runLookaheadTask.toString()});
const aimAtBlock = (${aimAtBlock.toString()});
// Type feedback for every kernel path before the first long call (see prime-kernels.ts).
(${primeAffineKernels.toString()})(K64, false);
(${primeAffineKernels.toString()})(K32, true);
let work = new Float64Array(64);
function runMessage(msg) {
  const control = msg.control;
  try {
    if (work.length < msg.workSize) work = new Float64Array(msg.workSize);
    let finite = true;
    for (const task of msg.tasks)
      finite =
        (task.kind === 2
          ? runKalmanTask(KK, task)
          : task.kind === 4
            ? runLookaheadTask(task.float32 ? K32 : K64, runAffineTask, aimAtBlock, task, work)
            : runAffineTask(task.out.data instanceof Float32Array ? K32 : K64, task, work)) && finite;
    if (!finite) Atomics.store(control, ${CONTROL_NONFINITE}, 1);
  } catch (error) {
    const bytes = new TextEncoder().encode(String((error && error.stack) || error));
    msg.errorText.fill(0);
    msg.errorText.set(bytes.subarray(0, msg.errorText.length));
    Atomics.store(control, ${CONTROL_ERROR}, 1);
  }
  Atomics.add(control, ${CONTROL_DONE}, 1);
  Atomics.notify(control, ${CONTROL_DONE});
}
// The first message hands over a port and a signal word; from then on the worker lives in this loop:
// each dispatch bumps signal[${SIGNAL_SEQ}] after posting the tasks on the port, which are then taken
// synchronously. After a dispatch the worker polls for the next one for a while before sleeping in
// Atomics.wait, so that back-to-back calls find it running on its own core (a sleeping thread of a
// virtual machine can take a millisecond to be woken).
parentPort.once('message', ({ port, signal, spinMicroseconds }) => {
  // From 0, not the current value: a dispatch may already have been signalled while the worker started.
  let seen = 0;
  Atomics.store(signal, ${SIGNAL_READY}, 1);
  Atomics.notify(signal, ${SIGNAL_READY});
  for (;;) {
    let seq = Atomics.load(signal, ${SIGNAL_SEQ});
    if (seq === seen) {
      const until = performance.now() + spinMicroseconds / 1000;
      while ((seq = Atomics.load(signal, ${SIGNAL_SEQ})) === seen && performance.now() < until) {}
      if (seq === seen) {
        Atomics.wait(signal, ${SIGNAL_SEQ}, seen);
        continue;
      }
    }
    if (Atomics.load(signal, ${SIGNAL_STOP}) !== 0) break;
    // One message per increment; a message may become visible on the port a moment after its signal.
    for (; seen !== seq; seen++) {
      let got = receiveMessageOnPort(port);
      while (got === undefined) got = receiveMessageOnPort(port);
      runMessage(got.message);
    }
  }
  port.close();
});
`;
}
