/**
 * minGRU and minLSTM on the GPU (the zoo's `mingru`, `minlstm`): every gate depends on the input only,
 * so h' = keep ⊙ h + (1 − keep) ⊙ h̃ is affine in h with the exact diagonal Jacobian keep — one Newton
 * update with the diagonal scan solves them (a second confirms it).
 *   minGRU:  keep = 1 − σ(a_z), h̃ = a_h;  minLSTM: keep = σ(a_f) / (σ(a_f) + σ(a_i)), h̃ = a_h.
 */
import type { Cell } from '@antler/core';
import { cellParam } from './cell-param.js';
import { type DeviceCellKernel, packInput } from './device-cell-kernel.js';

/**
 * The cells have no recurrent weights, so `w` holds the input biases b_ih [G] (added here rather than
 * folded into the projections: every kernel binds `w`, and an unused binding would leave the
 * automatic pipeline layout).
 */
function minWgsl(lstm: boolean): string {
  const keep = lstm
    ? 'let fg = sigm(xp[xb + i] + w[i]); let ig = sigm(xp[xb + N + i] + w[N + i]); let keep = fg / (fg + ig);'
    : 'let keep = 1.0 - sigm(xp[xb + i] + w[i]);';
  const cand = lstm ? '2u * N' : 'N';
  return /* wgsl */ `
struct Row { f: f32, d: f32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row {
  ${keep}
  return Row(keep * ld(hb, i) + (1.0 - keep) * (xp[xb + ${cand} + i] + w[${cand} + i]), keep);
}
fn rowF(r: Row) -> f32 { return r.f; }
fn rowDiag(i: u32, r: Row) -> f32 { return r.d; }
fn rowJ(i: u32, k: u32, r: Row) -> f32 { return select(0.0, r.d, k == i); }
`;
}

/** The GPU kernel of a `mingru` (`weight_ih_l0` [2H, m]) or `minlstm` ([3H, m]) cell, or null. */
export function packMinRnn(cell: Cell): DeviceCellKernel | null {
  if (cell.kind !== 'mingru' && cell.kind !== 'minlstm') return null;
  const lstm = cell.kind === 'minlstm';
  const H = cell.stateSize;
  const m = cell.inputSize;
  const G = (lstm ? 3 : 2) * H;
  const wih = cellParam(cell, 'weight_ih_l0');
  if (!wih || wih.length !== G * m) return null;
  const bih = cellParam(cell, 'bias_ih_l0');
  return {
    kind: cell.kind,
    n: H,
    m,
    width: G,
    wx: packInput(wih, G, m, undefined, undefined, () => false),
    wh: bih ? Float32Array.from(bih) : new Float32Array(G),
    wgsl: minWgsl(lstm),
    jacobian: 'diagonal',
    dense: true,
  };
}
