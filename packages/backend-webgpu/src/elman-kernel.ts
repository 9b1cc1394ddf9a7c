/**
 * The Elman RNN on the GPU (the zoo's `elman`, PyTorch `nn.RNN` names): h' = act(W_ih x + b_ih + W_hh h
 * + b_hh), act ∈ {tanh, relu}. Jacobian d_i W_hh[i][k] with d = act'(pre).
 */
import type { Cell } from '@antler/core';
import { cellParam } from './cell-param.js';
import { type DeviceCellKernel, packInput, transposeInto } from './device-cell-kernel.js';

/** w[k·n + i] = W_hh[i][k] (coalesced across units i). */
function elmanWgsl(relu: boolean): string {
  // relu: select keeps NaN (a < 0 is false for NaN), so a non-finite pre-activation is never zeroed.
  const act = relu
    ? 'return Row(select(a, 0.0, a < 0.0), select(0.0, 1.0, a > 0.0));'
    : 'let y = tanhs(a); return Row(y, 1.0 - y * y);';
  return /* wgsl */ `
struct Row { f: f32, d: f32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row {
  var a = xp[xb + i];
  for (var k = 0u; k < N; k++) { a += w[k * N + i] * ld(hb, k); }
  ${act}
}
fn rowF(r: Row) -> f32 { return r.f; }
fn rowJ(i: u32, k: u32, r: Row) -> f32 { return r.d * w[k * N + i]; }
fn rowDiag(i: u32, r: Row) -> f32 { return r.d * w[i * N + i]; }
`;
}

/** The GPU kernel of an `elman` cell (`weight_ih_l0 [n, m]`, `weight_hh_l0 [n, n]`, optional biases `[n]`), or null. */
export function packElman(cell: Cell): DeviceCellKernel | null {
  if (cell.kind !== 'elman') return null;
  const n = cell.stateSize;
  const m = cell.inputSize;
  const wih = cellParam(cell, 'weight_ih_l0');
  const whh = cellParam(cell, 'weight_hh_l0');
  if (!wih || !whh || wih.length !== n * m || whh.length !== n * n) return null;
  const nl = cell.config?.nonlinearity ?? 'tanh';
  if (nl !== 'tanh' && nl !== 'relu') return null;
  const wh = new Float32Array(n * n);
  transposeInto(whh, n, n, wh);
  return {
    kind: `elman/${nl}`,
    n,
    m,
    width: n,
    wx: packInput(wih, n, m, cellParam(cell, 'bias_ih_l0'), cellParam(cell, 'bias_hh_l0'), () => true),
    wh,
    wgsl: elmanWgsl(nl === 'relu'),
    jacobian: 'dense',
    dense: true,
  };
}
