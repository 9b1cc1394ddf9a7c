/**
 * Recognising a GRU cell (the zoo's `gru`, PyTorch or Flax bias placement) and packing its parameters
 * into the float32 layouts the WGSL kernels read.
 */
import type { Cell, Tensor } from '@antler/core';

/** GRU parameters packed for the GPU. */
export interface GruWeights {
  /** Hidden size n. */
  readonly n: number;
  /** Input size m. */
  readonly m: number;
  /** `[m][3n]` W_ihᵀ followed by the folded input bias `[3n]` (b_ih, plus b_hr and b_hz for PyTorch). */
  readonly wx: Float32Array;
  /** `[n][3n]` W_hhᵀ followed by b_hn `[n]`. */
  readonly wh: Float32Array;
}

function param(cell: Cell, name: string): Tensor | undefined {
  return cell.parameters?.[name] ?? cell.parameters?.[name.replace(/_l0$/, '')];
}

/**
 * Returns the packed weights of a GRU cell (kind `'gru'`, parameters `weight_ih_l0 [3n, m]`,
 * `weight_hh_l0 [3n, n]`, optional `bias_ih_l0 [3n]`, `bias_hh_l0` `[3n]` (PyTorch) or `[n]` (Flax)),
 * or null when the cell is something else.
 */
export function packGru(cell: Cell): GruWeights | null {
  if (cell.kind !== 'gru') return null;
  const wih = param(cell, 'weight_ih_l0');
  const whh = param(cell, 'weight_hh_l0');
  if (!wih || !whh) return null;
  const n = cell.stateSize;
  const m = cell.inputSize;
  if (whh.data.length !== 3 * n * n || wih.data.length !== 3 * n * m) return null;
  const bih = param(cell, 'bias_ih_l0');
  const bhh = param(cell, 'bias_hh_l0');
  const G = 3 * n;
  const wx = new Float32Array((m + 1) * G);
  for (let j = 0; j < G; j++) {
    for (let k = 0; k < m; k++) wx[k * G + j] = wih.data[j * m + k];
    let bias = bih ? bih.data[j] : 0;
    // PyTorch's b_hr, b_hz sit outside the r ⊙ (…) product, so they fold into the input bias.
    if (bhh && bhh.data.length === G && j < 2 * n) bias += bhh.data[j];
    wx[m * G + j] = bias;
  }
  const wh = new Float32Array(n * G + n);
  for (let j = 0; j < G; j++) for (let k = 0; k < n; k++) wh[k * G + j] = whh.data[j * n + k];
  if (bhh) {
    const off = bhh.data.length === G ? 2 * n : 0;
    for (let i = 0; i < n; i++) wh[n * G + i] = bhh.data[off + i];
  }
  return { n, m, wx, wh };
}
