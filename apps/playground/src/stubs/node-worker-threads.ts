/** Browser stand-in for `node:worker_threads`: the threaded CPU backend is Node-only and is never created here. */

/** Throws: worker_threads does not exist in browsers. */
export class Worker {
  constructor() {
    throw new Error(
      'node:worker_threads is not available in the browser; use the sequential or WebGPU backend',
    );
  }
}

export const isMainThread = true;
export const parentPort = null;
export const workerData = null;

export default { Worker, isMainThread, parentPort, workerData };
