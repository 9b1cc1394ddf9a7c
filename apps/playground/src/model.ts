/** What the playground needs to know about a model: its cell, inputs and a sensible default method. */
import type { Cell, Method } from '@antler/core';

/** One selectable model of the playground. */
export interface PlaygroundModel {
  /** Stable id (used in the URL: `?model=gru`). */
  readonly id: string;
  /** Shown in the model picker. */
  readonly label: string;
  /** One sentence on what to look for. */
  readonly note: string;
  /** The default sequence length. */
  readonly length: number;
  /** Builds the cell, its inputs `[T][m]` and initial state for sequence length T. */
  build(length: number): { cell: Cell; inputs: Float64Array; h0: Float64Array };
  /** Method selected when the model is picked. */
  readonly defaultMethod: Method;
  /** λ (ELK damping) selected when the model is picked, or `'adaptive'` (the solver's trust region). */
  readonly defaultLambda: number | 'adaptive';
}
