/**
 * ParaRNN cells on the GPU (the zoo's `para-gru`, `para-lstm`): recurrent weights are diagonal, so the
 * Jacobian is exactly diagonal (para-gru) or exactly 2×2-block-diagonal (para-lstm, state interleaved
 * [h_0, c_0, h_1, c_1, …]); DEER then runs with the diagonal / block scan at O(n) per step.
 */
import type { Cell } from '@antler/core';
import { cellParam } from './cell-param.js';
import { type DeviceCellKernel, packInput } from './device-cell-kernel.js';

/**
 * w = [w_hr, w_hz, w_hn, b_hn] (each [H]); r = σ(xp_r + w_hr h), z = σ(xp_z + w_hz h),
 * ñ = tanh(xp_n + r (w_hn h + b_hn)), h' = (1 − z) ñ + z h.
 */
const PARA_GRU_WGSL = /* wgsl */ `
struct Row { f: f32, d: f32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row {
  let hi = ld(hb, i);
  let r = sigm(xp[xb + i] + w[i] * hi);
  let z = sigm(xp[xb + N + i] + w[N + i] * hi);
  let g = w[2u * N + i] * hi + w[3u * N + i];
  let nn = tanhs(xp[xb + 2u * N + i] + r * g);
  let cn = (1.0 - z) * (1.0 - nn * nn);
  let d = (hi - nn) * z * (1.0 - z) * w[N + i] + cn * g * r * (1.0 - r) * w[i] + cn * r * w[2u * N + i] + z;
  return Row((1.0 - z) * nn + z * hi, d);
}
fn rowF(r: Row) -> f32 { return r.f; }
fn rowDiag(i: u32, r: Row) -> f32 { return r.d; }
fn rowJ(i: u32, k: u32, r: Row) -> f32 { return select(0.0, r.d, k == i); }
`;

/**
 * w = the stacked diagonals [w_i, w_f, w_g, w_o] (each [H]); block q over (h_q, c_q):
 * [[∂h'/∂h, ∂h'/∂c], [∂c'/∂h, ∂c'/∂c]].
 */
const PARA_LSTM_WGSL = /* wgsl */ `
const H: u32 = N / 2u;
struct Pair { f: vec2f, j: vec4f }
fn pairOf(hb: u32, xb: u32, q: u32) -> Pair {
  let h = ld(hb, 2u * q);
  let c = ld(hb, 2u * q + 1u);
  let ig = sigm(xp[xb + q] + w[q] * h);
  let fg = sigm(xp[xb + H + q] + w[H + q] * h);
  let gg = tanhs(xp[xb + 2u * H + q] + w[2u * H + q] * h);
  let og = sigm(xp[xb + 3u * H + q] + w[3u * H + q] * h);
  let cn = fg * c + ig * gg;
  let tc = tanhs(cn);
  let dcdh = gg * ig * (1.0 - ig) * w[q] + c * fg * (1.0 - fg) * w[H + q] + ig * (1.0 - gg * gg) * w[2u * H + q];
  let kc = og * (1.0 - tc * tc);
  return Pair(vec2f(og * tc, cn), vec4f(tc * og * (1.0 - og) * w[3u * H + q] + kc * dcdh, kc * fg, dcdh, fg));
}
struct Row { pr: Pair, odd: u32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row { return Row(pairOf(hb, xb, i / 2u), i % 2u); }
fn rowF(r: Row) -> f32 { return select(r.pr.f.x, r.pr.f.y, r.odd == 1u); }
fn rowDiag(i: u32, r: Row) -> f32 { return select(r.pr.j.x, r.pr.j.w, r.odd == 1u); }
fn rowJ(i: u32, k: u32, r: Row) -> f32 {
  if (k / 2u != i / 2u) { return 0.0; }
  return r.pr.j[2u * r.odd + k % 2u];
}
`;

function paraWeights(
  cell: Cell,
  gates: number,
  H: number,
): {
  wih: ArrayLike<number>;
  whh: ArrayLike<number>;
} | null {
  const wih = cellParam(cell, 'weight_ih_l0');
  const whh = cellParam(cell, 'weight_hh_l0');
  if (!wih || !whh || whh.length !== gates * H || wih.length !== gates * H * cell.inputSize) return null;
  return { wih, whh };
}

/** The GPU kernel of a `para-gru` cell (`weight_hh_l0` the stacked diagonals [3H]), or null. */
export function packParaGru(cell: Cell): DeviceCellKernel | null {
  if (cell.kind !== 'para-gru') return null;
  const H = cell.stateSize;
  const m = cell.inputSize;
  const w = paraWeights(cell, 3, H);
  if (!w) return null;
  const bhh = cellParam(cell, 'bias_hh_l0');
  const wh = new Float32Array(4 * H);
  for (let j = 0; j < 3 * H; j++) wh[j] = w.whh[j];
  // b_hn sits inside r ⊙ (…); b_hr, b_hz fold into the input bias.
  if (bhh) for (let i = 0; i < H; i++) wh[3 * H + i] = bhh[2 * H + i];
  return {
    kind: 'para-gru',
    n: H,
    m,
    width: 3 * H,
    wx: packInput(w.wih, 3 * H, m, cellParam(cell, 'bias_ih_l0'), bhh, (j) => j < 2 * H),
    wh,
    wgsl: PARA_GRU_WGSL,
    jacobian: 'diagonal',
    dense: true,
  };
}

/** The GPU kernel of a `para-lstm` cell (`weight_hh_l0` the stacked diagonals [4H]; n = 2H), or null. */
export function packParaLstm(cell: Cell): DeviceCellKernel | null {
  if (cell.kind !== 'para-lstm' || cell.stateSize % 2 !== 0) return null;
  const H = cell.stateSize / 2;
  const m = cell.inputSize;
  const w = paraWeights(cell, 4, H);
  if (!w) return null;
  return {
    kind: 'para-lstm',
    n: 2 * H,
    m,
    width: 4 * H,
    wx: packInput(w.wih, 4 * H, m, cellParam(cell, 'bias_ih_l0'), cellParam(cell, 'bias_hh_l0'), () => true),
    wh: Float32Array.from(w.whh),
    wgsl: PARA_LSTM_WGSL,
    jacobian: 'block2',
    dense: true,
  };
}
