/**
 * The LSTM on the GPU (the zoo's `lstm`, PyTorch `nn.LSTM` names, gate order i, f, g, o), state
 * s = [h (H), c (H)], n = 2H:
 *   [i, f, g, o] = [σ, σ, tanh, σ](W_ih x + b_ih + W_hh h + b_hh),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').
 * Component i < H is h_i, i ≥ H is c_{i−H}; both evaluate the four gates of unit u = i mod H.
 */
import type { Cell } from '@antler/core';
import { cellParam } from './cell-param.js';
import { type DeviceCellKernel, packInput, transposeInto } from './device-cell-kernel.js';

/**
 * w[k·4H + g·H + u] = W_hh[g H + u][k]. A row carries ∂c'_u/∂(gate pre-activations) (ai, af, ag) and the
 * factors of its output: h' rows ko = ∂h'/∂a_o, kc = ∂h'/∂c'; c' rows ko = 0, kc = 1. Then
 * ∂f_i/∂h_k = ko W_o[u][k] + kc (ai W_i[u][k] + af W_f[u][k] + ag W_g[u][k]) and ∂f_i/∂c_k = kc f_u [k = u].
 */
const LSTM_WGSL = /* wgsl */ `
const H: u32 = N / 2u;
struct Row { f: f32, ai: f32, af: f32, ag: f32, ko: f32, kc: f32, fg: f32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row {
  let u = i % H;
  var a0 = xp[xb + u];
  var a1 = xp[xb + H + u];
  var a2 = xp[xb + 2u * H + u];
  var a3 = xp[xb + 3u * H + u];
  for (var k = 0u; k < H; k++) {
    let hk = ld(hb, k);
    let wb = k * G + u;
    a0 += w[wb] * hk;
    a1 += w[wb + H] * hk;
    a2 += w[wb + 2u * H] * hk;
    a3 += w[wb + 3u * H] * hk;
  }
  let ig = sigm(a0);
  let fg = sigm(a1);
  let gg = tanhs(a2);
  let og = sigm(a3);
  let c = ld(hb, H + u);
  let cn = fg * c + ig * gg;
  let tc = tanhs(cn);
  let ai = gg * ig * (1.0 - ig);
  let af = c * fg * (1.0 - fg);
  let ag = ig * (1.0 - gg * gg);
  if (i < H) { return Row(og * tc, ai, af, ag, tc * og * (1.0 - og), og * (1.0 - tc * tc), fg); }
  return Row(cn, ai, af, ag, 0.0, 1.0, fg);
}
fn rowF(r: Row) -> f32 { return r.f; }
fn rowJ(i: u32, k: u32, r: Row) -> f32 {
  let u = i % H;
  if (k < H) {
    let wb = k * G + u;
    return r.ko * w[wb + 3u * H] + r.kc * (r.ai * w[wb] + r.af * w[wb + H] + r.ag * w[wb + 2u * H]);
  }
  return select(0.0, r.kc * r.fg, k - H == u);
}
fn rowDiag(i: u32, r: Row) -> f32 { return rowJ(i, i, r); }
`;

/**
 * The GPU kernel of an `lstm` cell (`weight_ih_l0 [4H, m]`, `weight_hh_l0 [4H, H]`, optional biases
 * `[4H]`; state `[h, c]`, n = 2H), or null.
 */
export function packLstm(cell: Cell): DeviceCellKernel | null {
  if (cell.kind !== 'lstm' || cell.stateSize % 2 !== 0) return null;
  const n = cell.stateSize;
  const H = n / 2;
  const m = cell.inputSize;
  const G = 4 * H;
  const wih = cellParam(cell, 'weight_ih_l0');
  const whh = cellParam(cell, 'weight_hh_l0');
  if (!wih || !whh || wih.length !== G * m || whh.length !== G * H) return null;
  const wh = new Float32Array(H * G);
  transposeInto(whh, G, H, wh);
  return {
    kind: 'lstm',
    n,
    m,
    width: G,
    wx: packInput(wih, G, m, cellParam(cell, 'bias_ih_l0'), cellParam(cell, 'bias_hh_l0'), () => true),
    wh,
    wgsl: LSTM_WGSL,
    jacobian: 'dense',
    dense: true,
  };
}
