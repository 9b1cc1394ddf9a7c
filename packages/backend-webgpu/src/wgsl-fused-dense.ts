/**
 * WGSL of the fused DEER (dense Newton) iteration for any cell with a dense row snippet (`rowJ`). The
 * chunk of each (sequence, chunk) is folded into its affine map (M, v) = (J_{t1−1}⋯J_{t0}, offset) —
 * O(n³) per step, so it suits small n; the chunk maps are then scanned per sequence (the sequential
 * dense kernel over C ≪ T chunks), and phase 3 re-runs each chunk from its carry-in state. Same buffers
 * and status protocol as the quasi-DEER kernels ({@link diagLinAggWgsl}).
 *
 * Two variants: one thread per (sequence, chunk) with everything in registers (small n), and a
 * cooperative one with a workgroup of n threads per (sequence, chunk) — thread i owns component i and
 * row i of J_t (never stored), the chunk map M lives in workgroup memory.
 */
import type { DeviceCellKernel } from './device-cell-kernel.js';
import { NON_FINITE_WGSL, STEP_NON_FINITE, THREAD_INDEX_WGSL, WG } from './wgsl-common.js';
import { cellHeader, SOLVE_UNIFORM_WGSL } from './wgsl-fused.js';

/** State sizes from which the cooperative kernels are used. */
export const COOPERATIVE_FROM = 12;

/** Workgroup memory of a cooperative kernel at state size n, bytes (hp, red, M, v or s, status word). */
export function cooperativeBytes(n: number): number {
  return 4 * (n * n + 6 * n + 1);
}

/**
 * Whether dense DEER at state size n fits the device: below {@link COOPERATIVE_FROM} always (registers);
 * above, the workgroup of n threads and its n×n chunk map must fit the workgroup limits.
 */
export function denseFits(
  n: number,
  limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number },
): boolean {
  if (n < COOPERATIVE_FROM) return true;
  return (
    n <= limits.maxComputeInvocationsPerWorkgroup &&
    cooperativeBytes(n) <= limits.maxComputeWorkgroupStorageSize
  );
}

/** f(s_{t−1}) into `f` and ∂f/∂s into `J` (row-major) for the state in the private array `hp`. */
function denseHeader(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
${NON_FINITE_WGSL}
var<private> hp: array<f32, ${n}>;
fn ld(hb: u32, k: u32) -> f32 { return hp[k]; }
${cellHeader(k)}
fn fj(xb: u32, f: ptr<function, array<f32, ${n}>>, J: ptr<function, array<f32, ${n * n}>>) {
  for (var i = 0u; i < N; i++) {
    let r = rowOf(0u, xb, i);
    (*f)[i] = rowF(r);
    for (var k = 0u; k < N; k++) { (*J)[i * N + k] = rowJ(i, k, r); }
  }
}
`;
}

/**
 * Phase 1: per (b, chunk), fold the chunk's Newton maps into (M, v) and reduce the residual of the
 * current iterate. Bindings: 1 hs, 2 xp, 3 w, 4 status, 5 aggM `[B][C][n][n]`, 6 aggV `[B][C][n]`, 7 part.
 */
export function denseAggWgsl(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(6) var<storage, read_write> aggV: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4f>;
${denseHeader(k)}
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
    fj(xrow(b, t) * G, &f, &J);
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
export function denseApplyWgsl(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> ends: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${denseHeader(k)}
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
    fj(xrow(b, t) * G, &f, &J);
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

/** Shared part of the cooperative kernels: the previous state `hp` in workgroup memory. */
function coopHeader(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
${NON_FINITE_WGSL}
var<workgroup> hp: array<f32, ${n}>;
var<workgroup> wst: u32;
var<workgroup> red: array<vec4f, ${n}>;
fn ld(hb: u32, k: u32) -> f32 { return hp[k]; }
${cellHeader(k)}
`;
}

/** Cooperative phase 1. Bindings as {@link denseAggWgsl}. Dispatched with one workgroup per (b, chunk). */
export function denseCoopAggWgsl(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(6) var<storage, read_write> aggV: array<f32>;
@group(0) @binding(7) var<storage, read_write> part: array<vec4f>;
${coopHeader(k)}
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
    let row = rowOf(0u, xrow(b, t) * G, i);
    let fi = rowF(row);
    let s = hs[srow(b, t) * N + i];
    let r = s - fi;
    if (nonFinite(r)) { bad = 1.0; }
    rmax = max(rmax, abs(r));
    viol = max(viol, abs(r) - (p.atol + p.rtol * abs(s)));
    ss += r * r;
    for (var j = 0u; j < N; j++) { acc[j] = 0.0; }
    var av = fi;
    for (var k = 0u; k < N; k++) {
      let jk = rowJ(i, k, row);
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

/** Cooperative phase 3. Bindings as {@link denseApplyWgsl}. One workgroup per (b, chunk). */
export function denseCoopApplyWgsl(k: DeviceCellKernel): string {
  const n = k.n;
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> ends: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${coopHeader(k)}
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
    let row = rowOf(0u, xrow(b, t) * G, i);
    var acc = rowF(row);
    for (var k = 0u; k < N; k++) { acc += rowJ(i, k, row) * (s[k] - hp[k]); }
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
