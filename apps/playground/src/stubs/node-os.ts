/** Browser stand-in for the parts of `node:os` that workspace packages import at top level. */

/** The browser's logical core count. */
export function availableParallelism(): number {
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

/** Empty in the browser. */
export function cpus(): unknown[] {
  return [];
}

export default { availableParallelism, cpus };
