/**
 * WGSL of the fused GRU Newton solve (PyTorch and Flax bias placement). The hidden size n is baked in
 * as a constant so that the compiler unrolls the dot products.
 *
 * Buffers:
 * - states `[B][T+1][n]`, slot 0 of each sequence holding h0 (so s_{t-1} never needs a branch);
 * - xp `[B][T][3n]`: the input projections W_ih x_t + b_ih (+ b_hr, b_hz for PyTorch), computed once;
 * - w: W_hh transposed, `w[k * 3n + g * n + i] = W_hh[g n + i][k]` (coalesced across units i), then b_hn `[n]`;
 * - status `[2B + 1]` u32: `status[b]` 0 active / 1 converged / 2 non-finite, `status[B + b]` the
 *   iteration at which it stopped, `status[2B]` the number of Newton updates applied so far.
 */
import {
  NON_FINITE_WGSL,
  STEP_NON_FINITE,
  STEP_NON_FINITE_THRESHOLD,
  THREAD_INDEX_WGSL,
  WG,
} from './wgsl-common.js';
import { SCAN_UNIFORM_WGSL } from './wgsl-scan.js';

/** Uniform of the GRU kernels (8 words). */
const GRU_UNIFORM = /* wgsl */ `
struct GruParams { B: u32, T: u32, L: u32, C: u32, m: u32, atol: f32, rtol: f32, pad: u32, RL: u32, RC: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: GruParams;

// Time rows are stored chunk-interleaved (row j·RC + c holds t = c·RL + j) so that the threads of
// neighbouring chunks read neighbouring memory at each step of their loops. State row 0 of each
// sequence holds h0.
fn srow(b: u32, t: u32) -> u32 { return b * (p.RL * p.RC + 1u) + 1u + (t % p.RL) * p.RC + t / p.RL; }
fn sprev(b: u32, t: u32) -> u32 { if (t == 0u) { return b * (p.RL * p.RC + 1u); } return srow(b, t - 1u); }
fn xrow(b: u32, t: u32) -> u32 { return b * p.RL * p.RC + (t % p.RL) * p.RC + t / p.RL; }
`;

/** One GRU unit at one step from the previous iterate: f_i, the diagonal Jacobian J_ii and s_{t-1,i}. */
function gateFn(n: number): string {
  return /* wgsl */ `
const N: u32 = ${n}u;
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh from exp(-2|x|) ≤ 1: the builtin may overflow to NaN for large |x| on some drivers.
fn tanhs(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
// h_prev starts at hb (= index of s_{t-1}[0]); xb = index of xp[b][t][0].
fn unit(hb: u32, xb: u32, i: u32) -> vec4f {
  var ar = xp[xb + i];
  var az = xp[xb + N + i];
  var ahn = w[3u * N * N + i];
  for (var k = 0u; k < N; k++) {
    let hk = hs[hb + k];
    let wb = k * 3u * N + i;
    ar += w[wb] * hk;
    az += w[wb + N] * hk;
    ahn += w[wb + 2u * N] * hk;
  }
  let r = sigm(ar);
  let z = sigm(az);
  let nn = tanhs(xp[xb + 2u * N + i] + r * ahn);
  let hi = hs[hb + i];
  let f = (1.0 - z) * nn + z * hi;
  let wd = i * 3u * N + i;
  let cn = (1.0 - z) * (1.0 - nn * nn);
  let j = cn * (r * (1.0 - r) * ahn * w[wd] + r * w[wd + 2u * N]) + (hi - nn) * z * (1.0 - z) * w[wd + N] + z;
  return vec4f(f, j, hi, 0.0);
}
`;
}

/** Input projection: xp[b][t][j] = bx[j] + Σ_k x[b][t][k] wx[k][j]. Bindings: 1 x, 2 wx (`[m][3n]` then bx), 3 xp. */
export function projectWgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wx: array<f32>;
@group(0) @binding(3) var<storage, read_write> xp: array<f32>;
const G: u32 = ${3 * n}u;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.T * G) { return; }
  let j = tid % G;
  let row = tid / G;
  var v = wx[p.m * G + j];
  for (var k = 0u; k < p.m; k++) { v += x[row * p.m + k] * wx[k * G + j]; }
  xp[xrow(row / p.T, row % p.T) * G + j] = v;
}
`;
}

/**
 * Phase 1 of a quasi-DEER iteration fused with the cell: per (b, chunk, unit) thread, evaluate f and
 * diag J at the current iterate, fold the chunk's affine maps into agg, and reduce the residual
 * s_t − f(s_{t−1}) (max |r|, max of |r| − (atol + rtol |s|), Σ r², non-finite flag) into part.
 * Bindings: 1 hs (current iterate), 2 xp, 3 w, 4 status, 5 agg, 6 part.
 */
export function linAggWgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> agg: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> part: array<vec4f>;
${gateFn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * N) { return; }
  let i = tid % N;
  let c = (tid / N) % p.C;
  let b = tid / (N * p.C);
  if (status[b] != 0u) { return; }
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var A = 1.0;
  var S = 0.0;
  var rmax = 0.0;
  var viol = -3.0e38;
  var ss = 0.0;
  var bad = 0.0;
  for (var t = t0; t < t1; t++) {
    let u = unit(sprev(b, t) * N, xrow(b, t) * 3u * N, i);
    let s = hs[srow(b, t) * N + i];
    let r = s - u.x;
    let ar = abs(r);
    if (nonFinite(r)) { bad = 1.0; }
    rmax = max(rmax, ar);
    viol = max(viol, ar - (p.atol + p.rtol * abs(s)));
    ss += r * r;
    A = u.y * A;
    S = u.y * S + (u.x - u.y * u.z);
  }
  agg[tid] = vec2f(A, S);
  part[tid] = vec4f(rmax, viol, ss, bad);
}
`;
}

/**
 * Phase 3: re-evaluate the cell along the chunk from its carry-in state and write the new iterate
 * (and max |step| into stepPart). A sequence that stopped at this iteration has its states copied
 * instead, so that both ping-pong buffers hold its final trajectory.
 * Bindings: 1 hs (current), 2 xp, 3 w, 4 status, 5 carry, 6 hn (next), 7 stepPart.
 */
export function applyWgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> carry: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${gateFn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * N) { return; }
  let i = tid % N;
  let c = (tid / N) % p.C;
  let b = tid / (N * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  if (status[b] != 0u) {
    if (status[p.B + b] == status[2u * p.B]) {
      for (var t = t0; t < t1; t++) {
        let k = srow(b, t) * N + i;
        hn[k] = hs[k];
      }
    }
    return;
  }
  var s = carry[tid];
  var smax = 0.0;
  var bad = 0.0;
  var viol = -3.0e38;
  for (var t = t0; t < t1; t++) {
    let u = unit(sprev(b, t) * N, xrow(b, t) * 3u * N, i);
    s = u.y * s + (u.x - u.y * u.z);
    let k = srow(b, t) * N + i;
    let d = s - hs[k];
    if (nonFinite(d)) { bad = 1.0; }
    smax = max(smax, abs(d));
    viol = max(viol, abs(d) - (p.atol + p.rtol * abs(s)));
    hn[k] = s;
  }
  stepPart[tid] = vec2f(smax, select(viol, ${STEP_NON_FINITE}, bad > 0.0));
}
`;
}

/** Ring slots of the per-iteration history written by the check kernel. */
export const HISTORY_FIELDS = 6;

/**
 * Per-sequence convergence check (one workgroup per sequence): reduces part and stepPart, records
 * (max |r|, Σ r², max |step|, status before, non-finite residual, step-tolerance violation) in the
 * history ring slot of the current iteration, and marks the sequence converged — the residual AND the
 * step meet atol + rtol·|s| everywhere, the same rule as the CPU solvers (a small residual alone can hide
 * a large error where the dynamics amplify it) — or non-finite. Bindings: 1 part, 2 stepPart, 3 status (rw), 4 history (rw); uniform `pad` = ring size.
 */
export function checkWgsl(perSequence: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read> part: array<vec4f>;
@group(0) @binding(2) var<storage, read> stepPart: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> status: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<f32>;
const W: u32 = 256u;
var<workgroup> r0: array<vec4f, W>;
var<workgroup> r1: array<vec2f, W>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let cnt = p.C * ${perSequence}u;
  var a = vec4f(0.0, -3.0e38, 0.0, 0.0);
  var s = vec2f(0.0, 0.0);
  for (var k = lid; k < cnt; k += W) {
    let q = part[b * cnt + k];
    a = vec4f(max(a.x, q.x), max(a.y, q.y), a.z + q.z, max(a.w, q.w));
    let e = stepPart[b * cnt + k];
    s = vec2f(max(s.x, e.x), max(s.y, e.y));
  }
  r0[lid] = a;
  r1[lid] = s;
  workgroupBarrier();
  for (var off = W / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) {
      let q = r0[lid + off];
      let e = r1[lid + off];
      a = vec4f(max(a.x, q.x), max(a.y, q.y), a.z + q.z, max(a.w, q.w));
      s = vec2f(max(s.x, e.x), max(s.y, e.y));
      r0[lid] = a;
      r1[lid] = s;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let it = status[2u * p.B];
    let ring = p.pad;
    let h = ((it % ring) * p.B + b) * ${HISTORY_FIELDS}u;
    let st = status[b];
    hist[h] = a.x;
    hist[h + 1u] = a.z;
    hist[h + 2u] = s.x;
    hist[h + 3u] = f32(st);
    hist[h + 4u] = a.w;
    hist[h + 5u] = s.y;
    if (st == 0u) {
      if (a.w > 0.0 || s.y >= ${STEP_NON_FINITE_THRESHOLD}) {
        status[b] = 2u;
        status[p.B + b] = it;
      } else if (a.y <= 0.0 && s.y <= 0.0) {
        status[b] = 1u;
        status[p.B + b] = it;
      }
    }
  }
}
`;
}

/** Advances the update counter `status[2B]` (one thread). Binding 1 status. */
export const TICK_WGSL = /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read_write> status: array<u32>;
@compute @workgroup_size(1)
fn main() { status[2u * p.B] = status[2u * p.B] + 1u; }
`;

/**
 * The plain sequential GRU on the GPU: one workgroup per sequence, one thread per unit, the state in
 * workgroup memory; T barrier-separated steps. Bindings: 1 hs (rw; slot 0 = h0), 2 xp, 3 w.
 */
export function sequentialGruWgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read_write> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
var<workgroup> hv: array<f32, ${n}>;
const N: u32 = ${n}u;
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhs(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
@compute @workgroup_size(${n})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) i: u32) {
  let b = wid.x;
  hv[i] = hs[b * (p.RL * p.RC + 1u) * N + i];
  workgroupBarrier();
  for (var t = 0u; t < p.T; t++) {
    let xb = xrow(b, t) * 3u * N;
    var ar = xp[xb + i];
    var az = xp[xb + N + i];
    var ahn = w[3u * N * N + i];
    for (var k = 0u; k < N; k++) {
      let hk = hv[k];
      let wb = k * 3u * N + i;
      ar += w[wb] * hk;
      az += w[wb + N] * hk;
      ahn += w[wb + 2u * N] * hk;
    }
    let r = sigm(ar);
    let z = sigm(az);
    let nn = tanhs(xp[xb + 2u * N + i] + r * ahn);
    let f = (1.0 - z) * nn + z * hv[i];
    workgroupBarrier();
    hv[i] = f;
    hs[srow(b, t) * N + i] = f;
    workgroupBarrier();
  }
}
`;
}

export { SCAN_UNIFORM_WGSL };

/**
 * Four units per thread (n divisible by 4): the same arithmetic as {@link linAggWgsl}/{@link applyWgsl}
 * with vec4 loads, so that one load of s_{t−1} serves 12 multiply-adds and weight loads are 16 bytes
 * wide — the scalar kernels are load-bound for n ≥ 32. The diagonal weights are loaded once per thread.
 */
function gate4Fn(n: number): string {
  const N4 = n / 4;
  const inner = [0, 1, 2, 3]
    .map(
      (c) =>
        `    { let hk = hv[${c}]; let wb = (k4 * 4u + ${c}u) * 3u * N4 + i4; ar += w[wb] * hk; az += w[wb + N4] * hk; ahn += w[wb + 2u * N4] * hk; }`,
    )
    .join('\n');
  return /* wgsl */ `
const N: u32 = ${n}u;
const N4: u32 = ${N4}u;
fn sigm4(x: vec4f) -> vec4f { return 1.0 / (1.0 + exp(-x)); }
fn tanh4(x: vec4f) -> vec4f { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
// Diagonal weights W_hr[i][i], W_hz[i][i], W_hn[i][i] for the thread's four units.
fn diagW(i4: u32) -> array<vec4f, 3> {
  var d: array<vec4f, 3>;
  for (var g = 0u; g < 3u; g++) {
    for (var u = 0u; u < 4u; u++) {
      let i = i4 * 4u + u;
      let idx = i * 3u * N + g * N + i;
      d[g][u] = w[idx / 4u][idx % 4u];
    }
  }
  return d;
}
struct U4 { f: vec4f, j: vec4f, hp: vec4f }
// hb4 = vec4 index of s_{t-1}[0]; xb4 = vec4 index of xp[b][t][0].
fn unit4(hb4: u32, xb4: u32, i4: u32, d: array<vec4f, 3>) -> U4 {
  var ar = xp[xb4 + i4];
  var az = xp[xb4 + N4 + i4];
  var ahn = w[3u * N * N4 + i4];
  for (var k4 = 0u; k4 < N4; k4++) {
    let hv = hs[hb4 + k4];
${inner}
  }
  let r = sigm4(ar);
  let z = sigm4(az);
  let nn = tanh4(xp[xb4 + 2u * N4 + i4] + r * ahn);
  let hi = hs[hb4 + i4];
  let f = (1.0 - z) * nn + z * hi;
  let cn = (1.0 - z) * (1.0 - nn * nn);
  let j = cn * (r * (1.0 - r) * ahn * d[0] + r * d[2]) + (hi - nn) * z * (1.0 - z) * d[1] + z;
  return U4(f, j, hi);
}
fn nonFinite4(x: vec4f) -> bool {
  let e = bitcast<vec4u>(x) & vec4u(0x7f800000u);
  return any(e == vec4u(0x7f800000u));
}
`;
}

/** Phase 1 with four units per thread (see {@link linAggWgsl}; `part` is per thread, `agg` per unit). */
export function linAgg4Wgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read> hs: array<vec4f>;
@group(0) @binding(2) var<storage, read> xp: array<vec4f>;
@group(0) @binding(3) var<storage, read> w: array<vec4f>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> agg: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> part: array<vec4f>;
${gate4Fn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * N4) { return; }
  let i4 = tid % N4;
  let c = (tid / N4) % p.C;
  let b = tid / (N4 * p.C);
  if (status[b] != 0u) { return; }
  let d = diagW(i4);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var A = vec4f(1.0);
  var S = vec4f(0.0);
  var rmax = vec4f(0.0);
  var viol = vec4f(-3.0e38);
  var ss = vec4f(0.0);
  var bad = 0.0;
  for (var t = t0; t < t1; t++) {
    let u = unit4(sprev(b, t) * N4, xrow(b, t) * 3u * N4, i4, d);
    let s = hs[srow(b, t) * N4 + i4];
    let r = s - u.f;
    let ar = abs(r);
    if (nonFinite4(r)) { bad = 1.0; }
    rmax = max(rmax, ar);
    viol = max(viol, ar - (p.atol + p.rtol * abs(s)));
    ss += r * r;
    A = u.j * A;
    S = u.j * S + (u.f - u.j * u.hp);
  }
  let base = (b * p.C + c) * N + i4 * 4u;
  for (var q = 0u; q < 4u; q++) { agg[base + q] = vec2f(A[q], S[q]); }
  part[tid] = vec4f(max(max(rmax.x, rmax.y), max(rmax.z, rmax.w)), max(max(viol.x, viol.y), max(viol.z, viol.w)),
                    ss.x + ss.y + ss.z + ss.w, bad);
}
`;
}

/** Phase 3 with four units per thread (see {@link applyWgsl}). */
export function apply4Wgsl(n: number): string {
  return /* wgsl */ `
${GRU_UNIFORM}
@group(0) @binding(1) var<storage, read> hs: array<vec4f>;
@group(0) @binding(2) var<storage, read> xp: array<vec4f>;
@group(0) @binding(3) var<storage, read> w: array<vec4f>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> carry: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> hn: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${gate4Fn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * N4) { return; }
  let i4 = tid % N4;
  let c = (tid / N4) % p.C;
  let b = tid / (N4 * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  if (status[b] != 0u) {
    if (status[p.B + b] == status[2u * p.B]) {
      for (var t = t0; t < t1; t++) {
        let k = srow(b, t) * N4 + i4;
        hn[k] = hs[k];
      }
    }
    return;
  }
  let d = diagW(i4);
  var s = carry[(b * p.C + c) * N4 + i4];
  var smax = vec4f(0.0);
  var bad = 0.0;
  var viol = vec4f(-3.0e38);
  for (var t = t0; t < t1; t++) {
    let u = unit4(sprev(b, t) * N4, xrow(b, t) * 3u * N4, i4, d);
    s = u.j * s + (u.f - u.j * u.hp);
    let k = srow(b, t) * N4 + i4;
    let dd = s - hs[k];
    if (nonFinite4(dd)) { bad = 1.0; }
    smax = max(smax, abs(dd));
    viol = max(viol, abs(dd) - (vec4f(p.atol) + p.rtol * abs(s)));
    hn[k] = s;
  }
  let vmax = max(max(viol.x, viol.y), max(viol.z, viol.w));
  stepPart[tid] = vec2f(max(max(smax.x, smax.y), max(smax.z, smax.w)), select(vmax, ${STEP_NON_FINITE}, bad > 0.0));
}
`;
}
