/**
 * WGSL of the fused GRU DEER (dense Newton) iteration. One thread owns one (sequence, chunk): it
 * evaluates f and the dense Jacobian J_t for every step of its chunk in registers and folds the chunk
 * into its affine map (M, v) = (J_{t1−1}⋯J_{t0}, offset) — O(n³) per step, so it suits small n. The
 * chunk maps are then scanned per sequence (the sequential dense kernel over C ≪ T chunks), and phase 3
 * re-runs each chunk from its carry-in state. Same buffers and status protocol as the quasi-DEER kernels.
 */
import { NON_FINITE_WGSL, STEP_NON_FINITE, THREAD_INDEX_WGSL, WG } from './wgsl-common.js';

const UNIFORM = /* wgsl */ `
struct GruParams { B: u32, T: u32, L: u32, C: u32, m: u32, atol: f32, rtol: f32, pad: u32, RL: u32, RC: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: GruParams;

// Time rows are stored chunk-interleaved (row j·RC + c holds t = c·RL + j) so that the threads of
// neighbouring chunks read neighbouring memory at each step of their loops. State row 0 of each
// sequence holds h0.
fn srow(b: u32, t: u32) -> u32 { return b * (p.RL * p.RC + 1u) + 1u + (t % p.RL) * p.RC + t / p.RL; }
fn sprev(b: u32, t: u32) -> u32 { if (t == 0u) { return b * (p.RL * p.RC + 1u); } return srow(b, t - 1u); }
fn xrow(b: u32, t: u32) -> u32 { return b * p.RL * p.RC + (t % p.RL) * p.RC + t / p.RL; }
`;

/** f(s_{t−1}) into `f` and ∂f/∂s into `J` (row-major), for the state at hs[hb …]. */
function jacobianFn(n: number): string {
  return /* wgsl */ `
const N: u32 = ${n}u;
const N3: u32 = ${3 * n}u;
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhs(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
fn fj(hp: ptr<function, array<f32, ${n}>>, xb: u32, f: ptr<function, array<f32, ${n}>>,
      J: ptr<function, array<f32, ${n * n}>>) {
  for (var i = 0u; i < N; i++) {
    var ar = xp[xb + i];
    var az = xp[xb + N + i];
    var ahn = w[N3 * N + i];
    for (var k = 0u; k < N; k++) {
      let hk = (*hp)[k];
      ar += w[k * N3 + i] * hk;
      az += w[k * N3 + N + i] * hk;
      ahn += w[k * N3 + 2u * N + i] * hk;
    }
    let r = sigm(ar);
    let z = sigm(az);
    let nn = tanhs(xp[xb + 2u * N + i] + r * ahn);
    let hi = (*hp)[i];
    (*f)[i] = (1.0 - z) * nn + z * hi;
    let cn = (1.0 - z) * (1.0 - nn * nn);
    let al = cn * r * (1.0 - r) * ahn;
    let be = cn * r;
    let ga = (hi - nn) * z * (1.0 - z);
    for (var k = 0u; k < N; k++) {
      (*J)[i * N + k] = al * w[k * N3 + i] + be * w[k * N3 + 2u * N + i] + ga * w[k * N3 + N + i];
    }
    (*J)[i * N + i] += z;
  }
}
`;
}

/**
 * Phase 1: per (b, chunk), fold the chunk's Newton maps into (M, v) and reduce the residual of the
 * current iterate. Bindings: 1 hs, 2 xp, 3 w, 4 status, 5 aggM `[B][C][n][n]`, 6 aggV `[B][C][n]`, 7 part.
 */
export function deerAggWgsl(n: number): string {
  return /* wgsl */ `
${UNIFORM}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(6) var<storage, read_write> aggV: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4f>;
${jacobianFn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C) { return; }
  let c = tid % p.C;
  let b = tid / p.C;
  if (status[b] != 0u) { return; }
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var M: array<f32, ${n * n}>;
  var v: array<f32, ${n}>;
  var hp: array<f32, ${n}>;
  var f: array<f32, ${n}>;
  var J: array<f32, ${n * n}>;
  var col: array<f32, ${n}>;
  for (var i = 0u; i < N; i++) { M[i * N + i] = 1.0; }
  var rmax = 0.0;
  var viol = -3.0e38;
  var ss = 0.0;
  var bad = 0.0;
  for (var t = t0; t < t1; t++) {
    let hb = sprev(b, t) * N;
    let sb = srow(b, t) * N;
    for (var k = 0u; k < N; k++) { hp[k] = hs[hb + k]; }
    fj(&hp, xrow(b, t) * N3, &f, &J);
    for (var i = 0u; i < N; i++) {
      let s = hs[sb + i];
      let r = s - f[i];
      if (nonFinite(r)) { bad = 1.0; }
      rmax = max(rmax, abs(r));
      viol = max(viol, abs(r) - (p.atol + p.rtol * abs(s)));
      ss += r * r;
    }
    // v ← J v + (f − J hp) = J (v − hp) + f
    for (var k = 0u; k < N; k++) { col[k] = v[k] - hp[k]; }
    for (var i = 0u; i < N; i++) {
      var acc = f[i];
      for (var k = 0u; k < N; k++) { acc += J[i * N + k] * col[k]; }
      v[i] = acc;
    }
    // M ← J M, one column at a time
    for (var j = 0u; j < N; j++) {
      for (var k = 0u; k < N; k++) { col[k] = M[k * N + j]; }
      for (var i = 0u; i < N; i++) {
        var acc = 0.0;
        for (var k = 0u; k < N; k++) { acc += J[i * N + k] * col[k]; }
        M[i * N + j] = acc;
      }
    }
  }
  let mb = tid * N * N;
  for (var q = 0u; q < N * N; q++) { aggM[mb + q] = M[q]; }
  for (var q = 0u; q < N; q++) { aggV[tid * N + q] = v[q]; }
  part[tid] = vec4f(rmax, viol, ss, bad);
}
`;
}

/**
 * Phase 3: per (b, chunk), re-run the Newton recurrence s_t = J_t (s_{t−1} − s⁰_{t−1}) + f_t from the
 * carry-in state (h0 for the first chunk, else the end state of the previous chunk from phase 2).
 * Bindings: 1 hs, 2 xp, 3 w, 4 status, 5 ends `[B][C][n]`, 6 hn, 7 stepPart.
 */
export function deerApplyWgsl(n: number): string {
  return /* wgsl */ `
${UNIFORM}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> ends: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${jacobianFn(n)}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C) { return; }
  let c = tid % p.C;
  let b = tid / p.C;
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  if (status[b] != 0u) {
    if (status[p.B + b] == status[2u * p.B]) {
      for (var t = t0; t < t1; t++) {
        let sb = srow(b, t) * N;
        for (var k = 0u; k < N; k++) { hn[sb + k] = hs[sb + k]; }
      }
    }
    return;
  }
  var s: array<f32, ${n}>;
  var hp: array<f32, ${n}>;
  var f: array<f32, ${n}>;
  var J: array<f32, ${n * n}>;
  var d: array<f32, ${n}>;
  for (var k = 0u; k < N; k++) {
    if (c == 0u) { s[k] = hs[b * (p.RL * p.RC + 1u) * N + k]; } else { s[k] = ends[(tid - 1u) * N + k]; }
  }
  var smax = 0.0;
  var bad = 0.0;
  var viol = -3.0e38;
  for (var t = t0; t < t1; t++) {
    let hb = sprev(b, t) * N;
    let sb = srow(b, t) * N;
    for (var k = 0u; k < N; k++) { hp[k] = hs[hb + k]; d[k] = s[k] - hp[k]; }
    fj(&hp, xrow(b, t) * N3, &f, &J);
    for (var i = 0u; i < N; i++) {
      var acc = f[i];
      for (var k = 0u; k < N; k++) { acc += J[i * N + k] * d[k]; }
      s[i] = acc;
      let dd = acc - hs[sb + i];
      if (nonFinite(dd)) { bad = 1.0; }
      smax = max(smax, abs(dd));
      viol = max(viol, abs(dd) - (p.atol + p.rtol * abs(acc)));
      hn[sb + i] = acc;
    }
  }
  stepPart[tid] = vec2f(smax, select(viol, ${STEP_NON_FINITE}, bad > 0.0));
}
`;
}

/**
 * Cooperative DEER kernels for larger n: one workgroup of n threads per (sequence, chunk); thread i owns
 * unit i, its gate values and row i of the Jacobian (never stored), and the chunk map M lives in
 * workgroup memory (n² floats). Per step: O(n²) per thread, n³ per chunk, no register spills.
 */
function coopHeader(n: number): string {
  return /* wgsl */ `
${UNIFORM}
${NON_FINITE_WGSL}
const N: u32 = ${n}u;
const N3: u32 = ${3 * n}u;
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhs(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
var<workgroup> hp: array<f32, ${n}>;
var<workgroup> wst: u32;
var<workgroup> red: array<vec4f, ${n}>;
// Gate values of unit i at (s_{t−1} = hp, x_t): returns (f_i, α_i, β_i, γ_i); z_i in *z.
fn gates(i: u32, xb: u32, z: ptr<function, f32>) -> vec4f {
  var ar = xp[xb + i];
  var az = xp[xb + N + i];
  var ahn = w[N3 * N + i];
  for (var k = 0u; k < N; k++) {
    let hk = hp[k];
    ar += w[k * N3 + i] * hk;
    az += w[k * N3 + N + i] * hk;
    ahn += w[k * N3 + 2u * N + i] * hk;
  }
  let r = sigm(ar);
  let zz = sigm(az);
  let nn = tanhs(xp[xb + 2u * N + i] + r * ahn);
  let hi = hp[i];
  let cn = (1.0 - zz) * (1.0 - nn * nn);
  *z = zz;
  return vec4f((1.0 - zz) * nn + zz * hi, cn * r * (1.0 - r) * ahn, cn * r, (hi - nn) * zz * (1.0 - zz));
}
// J[i][k] from unit i's coefficients: α W_hr[i][k] + β W_hn[i][k] + γ W_hz[i][k] (+ z on the diagonal).
fn jik(i: u32, k: u32, g: vec4f, z: f32) -> f32 {
  var v = g.y * w[k * N3 + i] + g.z * w[k * N3 + 2u * N + i] + g.w * w[k * N3 + N + i];
  if (k == i) { v += z; }
  return v;
}
`;
}

/** Cooperative phase 1. Bindings as {@link deerAggWgsl}. Dispatched with one workgroup per (b, chunk). */
export function deerCoopAggWgsl(n: number): string {
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(6) var<storage, read_write> aggV: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4f>;
${coopHeader(n)}
var<workgroup> M: array<f32, ${n * n}>;
var<workgroup> v: array<f32, ${n}>;
@compute @workgroup_size(${n})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let cid = wid.x + wid.y * nwg.x;
  if (cid >= p.B * p.C) { return; }
  let c = cid % p.C;
  let b = cid / p.C;
  if (i == 0u) { wst = status[b]; }
  if (workgroupUniformLoad(&wst) != 0u) { return; }
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  for (var j = 0u; j < N; j++) { M[i * N + j] = select(0.0, 1.0, i == j); }
  v[i] = 0.0;
  var rmax = 0.0;
  var viol = -3.0e38;
  var ss = 0.0;
  var bad = 0.0;
  var acc: array<f32, ${n}>;
  for (var t = t0; t < t1; t++) {
    hp[i] = hs[sprev(b, t) * N + i];
    workgroupBarrier();
    var z = 0.0;
    let g = gates(i, xrow(b, t) * N3, &z);
    let s = hs[srow(b, t) * N + i];
    let r = s - g.x;
    if (nonFinite(r)) { bad = 1.0; }
    rmax = max(rmax, abs(r));
    viol = max(viol, abs(r) - (p.atol + p.rtol * abs(s)));
    ss += r * r;
    for (var j = 0u; j < N; j++) { acc[j] = 0.0; }
    var av = g.x;
    for (var k = 0u; k < N; k++) {
      let jk = jik(i, k, g, z);
      av += jk * (v[k] - hp[k]);
      for (var j = 0u; j < N; j++) { acc[j] += jk * M[k * N + j]; }
    }
    workgroupBarrier();
    for (var j = 0u; j < N; j++) { M[i * N + j] = acc[j]; }
    v[i] = av;
    workgroupBarrier();
  }
  let mb = cid * N * N;
  for (var j = 0u; j < N; j++) { aggM[mb + i * N + j] = M[i * N + j]; }
  aggV[cid * N + i] = v[i];
  red[i] = vec4f(rmax, viol, ss, bad);
  workgroupBarrier();
  if (i == 0u) {
    var q = red[0];
    for (var k = 1u; k < N; k++) {
      let e = red[k];
      q = vec4f(max(q.x, e.x), max(q.y, e.y), q.z + e.z, max(q.w, e.w));
    }
    part[cid] = q;
  }
}
`;
}

/** Cooperative phase 3. Bindings as {@link deerApplyWgsl}. One workgroup per (b, chunk). */
export function deerCoopApplyWgsl(n: number): string {
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> ends: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${coopHeader(n)}
var<workgroup> s: array<f32, ${n}>;
@compute @workgroup_size(${n})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let cid = wid.x + wid.y * nwg.x;
  if (cid >= p.B * p.C) { return; }
  let c = cid % p.C;
  let b = cid / p.C;
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  if (i == 0u) { wst = select(0u, select(1u, 2u, status[p.B + b] == status[2u * p.B]), status[b] != 0u); }
  let st = workgroupUniformLoad(&wst);
  if (st != 0u) {
    if (st == 2u) {
      for (var t = t0; t < t1; t++) { let k = srow(b, t) * N + i; hn[k] = hs[k]; }
    }
    return;
  }
  if (c == 0u) { s[i] = hs[b * (p.RL * p.RC + 1u) * N + i]; } else { s[i] = ends[(cid - 1u) * N + i]; }
  var smax = 0.0;
  var bad = 0.0;
  var viol = -3.0e38;
  for (var t = t0; t < t1; t++) {
    hp[i] = hs[sprev(b, t) * N + i];
    workgroupBarrier();
    var z = 0.0;
    let g = gates(i, xrow(b, t) * N3, &z);
    var acc = g.x;
    for (var k = 0u; k < N; k++) { acc += jik(i, k, g, z) * (s[k] - hp[k]); }
    workgroupBarrier();
    s[i] = acc;
    let k = srow(b, t) * N + i;
    let dd = acc - hs[k];
    if (nonFinite(dd)) { bad = 1.0; }
    smax = max(smax, abs(dd));
    viol = max(viol, abs(dd) - (p.atol + p.rtol * abs(acc)));
    hn[k] = acc;
  }
  red[i] = vec4f(smax, select(viol, ${STEP_NON_FINITE}, bad > 0.0), 0.0, 0.0);
  workgroupBarrier();
  if (i == 0u) {
    var q = red[0];
    for (var k = 1u; k < N; k++) { q = max(q, red[k]); }
    stepPart[cid] = vec2f(q.x, q.y);
  }
}
`;
}
