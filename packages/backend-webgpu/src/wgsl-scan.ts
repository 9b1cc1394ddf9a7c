/**
 * WGSL of the chunked three-phase diagonal affine scan: (1) each thread folds one chunk of one channel
 * into an aggregate (A, C) = composition of its steps, (2) one workgroup per channel scans the chunk
 * aggregates (per-thread segments + a Hillis–Steele pass in workgroup memory) into each chunk's
 * carry-in state, (3) each thread re-runs its chunk from the carry-in. Phase 2 is shared with the fused
 * GRU solve, whose phases 1 and 3 evaluate the cell instead of reading stored (a, b).
 */
import { NON_FINITE_WGSL, THREAD_INDEX_WGSL, WG, workgroupAffineScanWgsl } from './wgsl-common.js';

/** Uniform layout shared by the scan kernels (8 words). */
export const SCAN_UNIFORM_WGSL = /* wgsl */ `
struct ScanParams { B: u32, T: u32, n: u32, L: u32, C: u32, s0Stride: u32, s0Offset: u32, pad: u32 }
`;

/** Threads of the carry kernel's workgroup (one workgroup per channel). */
export const CARRY_WG = 64;

/**
 * Phase 2. Bindings: 0 uniform ScanParams, 1 agg `[B][C][n]` vec2 (A, C), 2 s0 (state before the first
 * step: `s0[s0Offset + b * s0Stride + i]`), 3 status (`status[b] != 0` ⇒ skip), 4 carry `[B][C][n]` out.
 */
export const CARRY_WGSL = /* wgsl */ `
${SCAN_UNIFORM_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> agg: array<vec2f>;
@group(0) @binding(2) var<storage, read> s0: array<f32>;
@group(0) @binding(3) var<storage, read> status: array<u32>;
@group(0) @binding(4) var<storage, read_write> carry: array<f32>;
var<workgroup> sa: array<f32, ${CARRY_WG}>;
var<workgroup> sc: array<f32, ${CARRY_WG}>;
@compute @workgroup_size(${CARRY_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * nwg.x;
  let valid = ch < p.B * p.n;
  let b = min(ch / p.n, p.B - 1u);
  let i = ch % p.n;
  let run = valid && status[b] == 0u;
  let seg = (p.C + ${CARRY_WG - 1}u) / ${CARRY_WG}u;
  let c0 = min(lid * seg, p.C);
  let c1 = min(c0 + seg, p.C);
  var A = 1.0;
  var S = 0.0;
  if (run) {
    for (var c = c0; c < c1; c++) {
      let e = agg[(b * p.C + c) * p.n + i];
      A = e.x * A;
      S = e.x * S + e.y;
    }
  }
${workgroupAffineScanWgsl(CARRY_WG)}
  if (run) {
    var s = s0[p.s0Offset + b * p.s0Stride + i];
    if (lid > 0u) { s = sa[lid - 1u] * s + sc[lid - 1u]; }
    for (var c = c0; c < c1; c++) {
      let k = (b * p.C + c) * p.n + i;
      carry[k] = s;
      let e = agg[k];
      s = e.x * s + e.y;
    }
  }
}
`;

/** Phase 1 of a stored diagonal scan. Bindings: 0 uniform, 1 a, 2 b (both `[B][T][n]`), 3 agg out. */
export const DIAG_AGG_WGSL = /* wgsl */ `
${SCAN_UNIFORM_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> agg: array<vec2f>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * p.n) { return; }
  let i = tid % p.n;
  let c = (tid / p.n) % p.C;
  let b = tid / (p.n * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var A = 1.0;
  var S = 0.0;
  for (var t = t0; t < t1; t++) {
    let k = (b * p.T + t) * p.n + i;
    A = a[k] * A;
    S = a[k] * S + bb[k];
  }
  agg[tid] = vec2f(A, S);
}
`;

/** Phase 3 of a stored diagonal scan. Bindings: 0 uniform, 1 a, 2 b, 3 carry, 4 out; writes a non-finite flag per thread to 5. */
export const DIAG_APPLY_WGSL = /* wgsl */ `
${SCAN_UNIFORM_WGSL}
${NON_FINITE_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> carry: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * p.n) { return; }
  let i = tid % p.n;
  let c = (tid / p.n) % p.C;
  let b = tid / (p.n * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var s = carry[tid];
  for (var t = t0; t < t1; t++) {
    let k = (b * p.T + t) * p.n + i;
    s = a[k] * s + bb[k];
    outp[k] = s;
  }
}
`;

/**
 * Dense or block-diagonal scan, sequential in time: one workgroup per sequence, one thread per state
 * component, the state in workgroup memory. The fallback of the chunked kernels (`wgsl-scan-matrix.ts`)
 * for blocks too large for workgroup memory, and `scanAlgorithm: 'sequential'`. `K` = n for dense, k for blocks. Bindings: 0 uniform,
 * 1 a (`[B][T][n][K]`), 2 b, 3 s0 `[B][n]`, 4 out.
 */
export function matrixSequentialWgsl(K: number, wg: number): string {
  return /* wgsl */ `
${SCAN_UNIFORM_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;
var<workgroup> s: array<f32, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let b = min(wid.x + wid.y * nwg.x, p.B - 1u);
  let live = i < p.n;
  let blk = (i / ${K}u) * ${K}u;
  if (live) { s[i] = s0[b * p.n + i]; }
  workgroupBarrier();
  for (var t = 0u; t < p.T; t++) {
    var v = 0.0;
    if (live) {
      let k = (b * p.T + t) * p.n + i;
      v = bb[k];
      let row = k * ${K}u;
      for (var j = 0u; j < ${K}u; j++) { v += a[row + j] * s[blk + j]; }
    }
    workgroupBarrier();
    if (live) { s[i] = v; outp[(b * p.T + t) * p.n + i] = v; }
    workgroupBarrier();
  }
}
`;
}

/**
 * Scalar (diagonal) Kalman filter + RTS smoother, one thread per (sequence, component), sequential in
 * time. Bindings: 0 uniform (+ q, r, smooth in the pad words), 1 a, 2 b, 3 y, 4 s0, 5 out (means),
 * 6 var (filtered variances scratch `[B][T][n]`).
 */
export const KALMAN_DIAG_WGSL = /* wgsl */ `
struct KParams { B: u32, T: u32, n: u32, smoothing: u32, q: f32, r: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: KParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> m: array<f32>;
@group(0) @binding(6) var<storage, read_write> P: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.n) { return; }
  let i = tid % p.n;
  let b = tid / p.n;
  var mean = s0[tid];
  var v = 0.0;
  for (var t = 0u; t < p.T; t++) {
    let k = (b * p.T + t) * p.n + i;
    let mp = a[k] * mean + bb[k];
    let vp = a[k] * a[k] * v + p.q;
    let g = vp / (vp + p.r);
    mean = mp + g * (y[k] - mp);
    v = (1.0 - g) * vp;
    m[k] = mean;
    P[k] = v;
  }
  if (p.smoothing == 0u || p.T < 2u) { return; }
  var ms = mean;
  for (var t = p.T - 1u; t > 0u; t--) {
    let k1 = (b * p.T + t) * p.n + i;
    let k = k1 - p.n;
    let vp = a[k1] * a[k1] * P[k] + p.q;
    let mp = a[k1] * m[k] + bb[k1];
    let g = P[k] * a[k1] / vp;
    ms = m[k] + g * (ms - mp);
    m[k] = ms;
  }
}
`;
