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
import { runChunkPipelineTask } from './chunk-pipeline-task.js';
import { primeAffineKernels } from '../affine/prime-kernels.js';
import { runKalmanTask } from './kalman-task.js';

/** Control block layout (Int32Array over a SharedArrayBuffer): [0] finished-task-lists counter, [1] error flag, [2] non-finite flag. */
export const CONTROL_DONE = 0;
export const CONTROL_ERROR = 1;
export const CONTROL_NONFINITE = 2;

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
const { parentPort } = require('node:worker_threads');
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
const runChunkPipelineTask = (${runChunkPipelineTask.toString()});
// Type feedback for every kernel path before the first long call (see prime-kernels.ts).
(${primeAffineKernels.toString()})(K64, false);
(${primeAffineKernels.toString()})(K32, true);
let work = new Float64Array(64);
parentPort.on('message', (msg) => {
  const control = msg.control;
  try {
    if (work.length < msg.workSize) work = new Float64Array(msg.workSize);
    let finite = true;
    for (const task of msg.tasks)
      finite =
        (task.kind === 2
          ? runKalmanTask(KK, task)
          : task.kind === 3
            ? runChunkPipelineTask(
                task.float32 ? K32 : K64,
                runAffineTask,
                task,
                work,
              )
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
});
`;
}
