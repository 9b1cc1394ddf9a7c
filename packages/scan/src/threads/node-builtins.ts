/**
 * Node built-ins loaded on first use (`process.getBuiltinModule`, Node ≥ 20.16) instead of imported at
 * top level, so that `@antler/scan` loads in browsers and bundles for them; only the threaded backend
 * needs Node.
 */
import type * as Os from 'node:os';
import type * as WorkerThreads from 'node:worker_threads';
import { BackendUnavailableError } from '@antler/core';

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** `node:worker_threads`, or a {@link BackendUnavailableError} where there is none (browsers, old Node). */
export function workerThreads(): typeof WorkerThreads {
  const mod = builtin<typeof WorkerThreads>('node:worker_threads');
  if (!mod) {
    throw new BackendUnavailableError(
      'cpu-threaded',
      'node:worker_threads is not available here (needs Node ≥ 20.16 with process.getBuiltinModule)',
    );
  }
  return mod;
}

/** Hardware threads: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` elsewhere, else 1. */
export function hardwareThreads(): number {
  const os = builtin<typeof Os>('node:os');
  if (os) return os.availableParallelism();
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

/** Whether `node:worker_threads` can be loaded here. */
export function hasWorkerThreads(): boolean {
  return builtin('node:worker_threads') !== undefined;
}
