/**
 * The GRU on the GPU (the zoo's `gru`, PyTorch or Flax bias placement): weight packing and the WGSL of
 * f and its diagonal / dense Jacobian at one step, plus the four-units-per-thread quasi-DEER kernels.
 */
import type { Cell, Tensor } from '@antler/core';
import { type DeviceCellKernel, packInput, transposeInto } from './device-cell-kernel.js';
import { gruApply4Wgsl, gruLinAgg4Wgsl } from './wgsl-gru.js';

/** GRU parameters packed for the GPU (a {@link DeviceCellKernel} with G = 3n). */
export type GruWeights = DeviceCellKernel;

function param(cell: Cell, name: string): Tensor | undefined {
  return cell.parameters?.[name] ?? cell.parameters?.[name.replace(/_l0$/, '')];
}

/**
 * r = σ(a_r), z = σ(a_z), ñ = tanh(xp_n + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ ñ + z ⊙ h, with
 * w[k·3n + g·n + i] = W_hh[g n + i][k] (coalesced across units i), then b_hn `[n]`.
 * ∂h'_i/∂h_k = α_i W_hr[i][k] + β_i W_hn[i][k] + γ_i W_hz[i][k] (+ z_i on the diagonal).
 */
const GRU_WGSL = /* wgsl */ `
struct Row { f: f32, al: f32, be: f32, ga: f32, z: f32 }
fn rowOf(hb: u32, xb: u32, i: u32) -> Row {
  var ar = xp[xb + i];
  var az = xp[xb + N + i];
  var ahn = w[3u * N * N + i];
  for (var k = 0u; k < N; k++) {
    let hk = ld(hb, k);
    let wb = k * 3u * N + i;
    ar += w[wb] * hk;
    az += w[wb + N] * hk;
    ahn += w[wb + 2u * N] * hk;
  }
  let r = sigm(ar);
  let z = sigm(az);
  let nn = tanhs(xp[xb + 2u * N + i] + r * ahn);
  let hi = ld(hb, i);
  let cn = (1.0 - z) * (1.0 - nn * nn);
  return Row((1.0 - z) * nn + z * hi, cn * r * (1.0 - r) * ahn, cn * r, (hi - nn) * z * (1.0 - z), z);
}
fn rowF(r: Row) -> f32 { return r.f; }
fn rowJ(i: u32, k: u32, r: Row) -> f32 {
  let wb = k * 3u * N + i;
  var v = r.al * w[wb] + r.be * w[wb + 2u * N] + r.ga * w[wb + N];
  if (k == i) { v += r.z; }
  return v;
}
fn rowDiag(i: u32, r: Row) -> f32 { return rowJ(i, i, r); }
`;

/**
 * Returns the GPU kernel of a GRU cell (kind `'gru'`, parameters `weight_ih_l0 [3n, m]`,
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
  const pytorch = bhh !== undefined && bhh.data.length === G;
  // PyTorch's b_hr, b_hz sit outside the r ⊙ (…) product, so they fold into the input bias.
  const wx = packInput(wih.data, G, m, bih?.data, bhh?.data, (j) => pytorch && j < 2 * n);
  const wh = new Float32Array(n * G + n);
  transposeInto(whh.data, G, n, wh);
  if (bhh) {
    const off = pytorch ? 2 * n : 0;
    for (let i = 0; i < n; i++) wh[n * G + i] = bhh.data[off + i];
  }
  return {
    kind: `gru/${pytorch ? 'pytorch' : 'flax'}`,
    n,
    m,
    width: G,
    wx,
    wh,
    wgsl: GRU_WGSL,
    jacobian: 'dense',
    dense: true,
    vec4: { lin: gruLinAgg4Wgsl, apply: gruApply4Wgsl },
  };
}
