/**
 * WGSL of the fused block-diagonal (k = 2) Newton iteration, for cells whose Jacobian is exactly
 * 2×2-block-diagonal (para-lstm): one thread per (sequence, chunk, block) folds its chunk's 2×2 affine
 * maps into (M, v); phase 2 is the sequential block scan over the C chunk maps of each sequence (the
 * shared `matrixSequentialWgsl(2, …)`), phase 3 re-runs each chunk from its carry-in. The cell supplies
 * `fn pairOf(hb, xb, q) -> Pair` with `Pair.f` = (f_{2q}, f_{2q+1}) and `Pair.j` = the block, row-major.
 *
 * Layouts: aggM `[B][C][n][2]` (row i of its block: for block q the four floats at vec4 index
 * (b·C + c)·n/2 + q), aggV and ends `[B][C][n]` (vec2 per block).
 */
import type { DeviceCellKernel } from './device-cell-kernel.js';
import { NON_FINITE_WGSL, STEP_NON_FINITE, THREAD_INDEX_WGSL, WG } from './wgsl-common.js';
import { cellHeader, SOLVE_UNIFORM_WGSL } from './wgsl-fused.js';

function blockHeader(k: DeviceCellKernel): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
${NON_FINITE_WGSL}
fn ld(hb: u32, k: u32) -> f32 { return hs[hb + k]; }
${cellHeader(k)}
const P: u32 = ${k.n / 2}u;
fn ld2(hb: u32, q: u32) -> vec2f { return vec2f(hs[hb + 2u * q], hs[hb + 2u * q + 1u]); }
fn mul2(J: vec4f, x: vec2f) -> vec2f { return vec2f(J.x * x.x + J.y * x.y, J.z * x.x + J.w * x.y); }
fn nonFinite2(x: vec2f) -> bool { return nonFinite(x.x) || nonFinite(x.y); }
`;
}

/** Phase 1. Bindings: 1 hs, 2 xp, 3 w, 4 status, 5 aggM (vec4 per block), 6 aggV (vec2 per block), 7 part. */
export function blockAggWgsl(k: DeviceCellKernel): string {
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> aggM: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> aggV: array<vec2f>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4f>;
${blockHeader(k)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * P) { return; }
  let q = tid % P;
  let c = (tid / P) % p.C;
  let b = tid / (P * p.C);
  if (status[b] != 0u) { return; }
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var M = vec4f(1.0, 0.0, 0.0, 1.0);
  var v = vec2f(0.0);
  var rmax = 0.0;
  var viol = -3.0e38;
  var ss = 0.0;
  var bad = 0.0;
  for (var t = t0; t < t1; t++) {
    let hb = sprev(b, t) * N;
    let u = pairOf(hb, xrow(b, t) * G, q);
    let s = ld2(srow(b, t) * N, q);
    let r = s - u.f;
    let ar = abs(r);
    if (nonFinite2(r)) { bad = 1.0; }
    rmax = max(rmax, max(ar.x, ar.y));
    let vv = ar - (vec2f(p.atol) + p.rtol * abs(s));
    viol = max(viol, max(vv.x, vv.y));
    ss += dot(r, r);
    // v ← J (v − hp) + f;  M ← J M
    v = mul2(u.j, v - ld2(hb, q)) + u.f;
    M = vec4f(u.j.x * M.x + u.j.y * M.z, u.j.x * M.y + u.j.y * M.w,
              u.j.z * M.x + u.j.w * M.z, u.j.z * M.y + u.j.w * M.w);
  }
  aggM[tid] = M;
  aggV[tid] = v;
  part[tid] = vec4f(rmax, viol, ss, bad);
}
`;
}

/** Phase 3. Bindings: 1 hs, 2 xp, 3 w, 4 status, 5 ends (vec2 per block), 6 hn, 7 stepPart. */
export function blockApplyWgsl(k: DeviceCellKernel): string {
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> ends: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${blockHeader(k)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * P) { return; }
  let q = tid % P;
  let c = (tid / P) % p.C;
  let b = tid / (P * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  if (status[b] != 0u) {
    if (status[p.B + b] == status[2u * p.B]) {
      for (var t = t0; t < t1; t++) {
        let k = srow(b, t) * N + 2u * q;
        hn[k] = hs[k];
        hn[k + 1u] = hs[k + 1u];
      }
    }
    return;
  }
  var s: vec2f;
  if (c == 0u) { s = ld2(b * (p.RL * p.RC + 1u) * N, q); } else { s = ends[tid - P]; }
  var smax = 0.0;
  var bad = 0.0;
  var viol = -3.0e38;
  for (var t = t0; t < t1; t++) {
    let hb = sprev(b, t) * N;
    let u = pairOf(hb, xrow(b, t) * G, q);
    s = mul2(u.j, s - ld2(hb, q)) + u.f;
    let k = srow(b, t) * N + 2u * q;
    let d = s - vec2f(hs[k], hs[k + 1u]);
    if (nonFinite2(d)) { bad = 1.0; }
    let ad = abs(d);
    smax = max(smax, max(ad.x, ad.y));
    let vv = ad - (vec2f(p.atol) + p.rtol * abs(s));
    viol = max(viol, max(vv.x, vv.y));
    hn[k] = s.x;
    hn[k + 1u] = s.y;
  }
  stepPart[tid] = vec2f(smax, select(viol, ${STEP_NON_FINITE}, bad > 0.0));
}
`;
}
