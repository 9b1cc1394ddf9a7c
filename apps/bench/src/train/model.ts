/** The model `antler train` trains: a PyTorch-layout GRU from the zoo, solved by the library's `solve`. */
import type { Cell } from '@antler/core';
import { type ForwardSolver, solve } from '@antler/solvers';
import { createGru } from '@antler/zoo';

/** A GRU (PyTorch `nn.GRU` layout) with hidden size `hidden`, seeded U(−1/√H, 1/√H) weights. */
export function createTrainingGru(hidden: number, inputSize: number, seed: number): Cell {
  return createGru({ hiddenSize: hidden, inputSize, seed });
}

/** The forward solver of the parallel methods. */
export const trainingSolver: ForwardSolver = solve;
