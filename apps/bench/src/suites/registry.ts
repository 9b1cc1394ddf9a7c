/**
 * Every benchmark suite `antler bench --suite <name>` knows. Each suite lives in its own file beside this
 * one; add a suite by importing it and appending it to the list.
 */
import { gpuSuite } from './gpu.js';
import { gpuCellsSuite } from './gpu-cells.js';
import { scanSuite } from './scan.js';
import { solversSuite } from './solvers.js';
import type { BenchSuite } from './types.js';
import { zooSuite } from './zoo.js';

export const suites: BenchSuite[] = [];
suites.push(scanSuite);
suites.push(gpuSuite);
suites.push(gpuCellsSuite);
suites.push(zooSuite);
suites.push(solversSuite);

/** Looks a suite up by name. */
export function findSuite(name: string): BenchSuite | undefined {
  return suites.find((s) => s.name === name);
}
