/**
 * WGSL of the chunked three-phase scan for dense (one n×n block) and block-diagonal (n/K blocks of K×K)
 * operators — the same structure as the diagonal scan, with K×K maps instead of scalars:
 *
 * 1. **aggregate**: per (sequence, chunk, block), compose the chunk's steps into one affine map
 *    (M, v) = (A_{t1−1}⋯A_{t0}, offset) so that s_{t1−1} = M s_{t0−1} + v;
 * 2. **carry**: per (sequence, block), scan the C chunk maps from s0 into each chunk's carry-in state;
 * 3. **apply**: per (sequence, chunk, block), re-run the chunk's steps from its carry-in, writing states.
 *
 * Two families: "small" kernels (K ≤ {@link SMALL_K}) keep M, v and the state in registers, one thread
 * per (sequence, chunk, block), and scan the chunk maps in parallel (per-thread segments + Hillis–Steele
 * in workgroup memory); "tiled" kernels (larger K) give each (sequence, chunk, block) a workgroup: the
 * map M lives in workgroup memory, thread (r, j) owns column j of rows r, r + R, … of A·M, so one
 * product costs K³ FMAs spread over K·R threads; the chunk maps are then scanned sequentially over
 * C ≪ T chunks by K threads.
 *
 * Layouts (contiguous, forward, untransposed): a `[B][T][nb][K][K]`, b/out `[B][T][nb·K]`,
 * aggM `[B][C][nb][K][K]`, aggV and carry `[B][C][nb·K]`, s0 `[B][nb·K]`.
 */
import { THREAD_INDEX_WGSL, WG } from './wgsl-common.js';

/** Largest block size of the register ("small") kernels. */
export const SMALL_K = 4;

/** Threads of the small carry kernel's workgroup (one workgroup per (sequence, block)). */
export const MAT_CARRY_WG = 64;

/** Uniform of the matrix scan kernels: nb = number of K×K blocks, n = nb·K. */
export const MAT_UNIFORM_WGSL = /* wgsl */ `
struct MatParams { B: u32, T: u32, nb: u32, L: u32, C: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: MatParams;
`;

function constants(K: number): string {
  return `const K: u32 = ${K}u;\nconst KK: u32 = ${K * K}u;`;
}

/** Small phase 1. Bindings: 1 a, 2 b, 3 aggM out, 4 aggV out. One thread per (b, c, block). */
export function matAggSmallWgsl(K: number): string {
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(4) var<storage, read_write> aggV: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * p.nb) { return; }
  let blk = tid % p.nb;
  let c = (tid / p.nb) % p.C;
  let b = tid / (p.nb * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var M: array<f32, ${K * K}>;
  var v: array<f32, ${K}>;
  var A: array<f32, ${K * K}>;
  var nv: array<f32, ${K}>;
  var nM: array<f32, ${K * K}>;
  for (var i = 0u; i < K; i++) { M[i * K + i] = 1.0; }
  for (var t = t0; t < t1; t++) {
    let e = (b * p.T + t) * p.nb + blk;
    for (var q = 0u; q < KK; q++) { A[q] = a[e * KK + q]; }
    for (var i = 0u; i < K; i++) {
      var acc = bb[e * K + i];
      for (var k = 0u; k < K; k++) { acc += A[i * K + k] * v[k]; }
      nv[i] = acc;
      for (var j = 0u; j < K; j++) {
        var m = 0.0;
        for (var k = 0u; k < K; k++) { m += A[i * K + k] * M[k * K + j]; }
        nM[i * K + j] = m;
      }
    }
    v = nv;
    M = nM;
  }
  for (var q = 0u; q < KK; q++) { aggM[tid * KK + q] = M[q]; }
  for (var i = 0u; i < K; i++) { aggV[tid * K + i] = v[i]; }
}
`;
}

/**
 * Small phase 2: one workgroup per (b, block); each thread composes a segment of chunk maps, a
 * Hillis–Steele pass in workgroup memory gives each segment its carry-in, then each thread walks its
 * segment writing carries. Bindings: 1 aggM, 2 aggV, 3 s0, 4 carry out.
 */
export function matCarrySmallWgsl(K: number): string {
  const W = MAT_CARRY_WG;
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
@group(0) @binding(1) var<storage, read> aggM: array<f32>;
@group(0) @binding(2) var<storage, read> aggV: array<f32>;
@group(0) @binding(3) var<storage, read> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> carry: array<f32>;
var<workgroup> sm: array<f32, ${W * K * K}>;
var<workgroup> sv: array<f32, ${W * K}>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * nwg.x;
  if (ch >= p.B * p.nb) { return; }
  let b = ch / p.nb;
  let blk = ch % p.nb;
  let seg = (p.C + ${W - 1}u) / ${W}u;
  let c0 = min(lid * seg, p.C);
  let c1 = min(c0 + seg, p.C);
  // (M, v) = composition of this thread's segment, earliest first.
  var M: array<f32, ${K * K}>;
  var v: array<f32, ${K}>;
  var E: array<f32, ${K * K}>;
  var nM: array<f32, ${K * K}>;
  var nv: array<f32, ${K}>;
  for (var i = 0u; i < K; i++) { M[i * K + i] = 1.0; }
  for (var c = c0; c < c1; c++) {
    let e = (b * p.C + c) * p.nb + blk;
    for (var q = 0u; q < KK; q++) { E[q] = aggM[e * KK + q]; }
    for (var i = 0u; i < K; i++) {
      var acc = aggV[e * K + i];
      for (var k = 0u; k < K; k++) { acc += E[i * K + k] * v[k]; }
      nv[i] = acc;
      for (var j = 0u; j < K; j++) {
        var m = 0.0;
        for (var k = 0u; k < K; k++) { m += E[i * K + k] * M[k * K + j]; }
        nM[i * K + j] = m;
      }
    }
    M = nM;
    v = nv;
  }
  for (var q = 0u; q < KK; q++) { sm[lid * KK + q] = M[q]; }
  for (var i = 0u; i < K; i++) { sv[lid * K + i] = v[i]; }
  workgroupBarrier();
  for (var off = 1u; off < ${W}u; off = off << 1u) {
    // The segment map "off" threads earlier happened first: (M, v) ← (M·P, M·pv + v).
    var P: array<f32, ${K * K}>;
    var pv: array<f32, ${K}>;
    for (var i = 0u; i < K; i++) { P[i * K + i] = 1.0; }
    if (lid >= off) {
      for (var q = 0u; q < KK; q++) { P[q] = sm[(lid - off) * KK + q]; }
      for (var i = 0u; i < K; i++) { pv[i] = sv[(lid - off) * K + i]; }
    }
    workgroupBarrier();
    for (var i = 0u; i < K; i++) {
      var acc = v[i];
      for (var k = 0u; k < K; k++) { acc += M[i * K + k] * pv[k]; }
      nv[i] = acc;
      for (var j = 0u; j < K; j++) {
        var m = 0.0;
        for (var k = 0u; k < K; k++) { m += M[i * K + k] * P[k * K + j]; }
        nM[i * K + j] = m;
      }
    }
    M = nM;
    v = nv;
    for (var q = 0u; q < KK; q++) { sm[lid * KK + q] = M[q]; }
    for (var i = 0u; i < K; i++) { sv[lid * K + i] = v[i]; }
    workgroupBarrier();
  }
  var s: array<f32, ${K}>;
  for (var i = 0u; i < K; i++) { s[i] = s0[(b * p.nb + blk) * K + i]; }
  if (lid > 0u) {
    let q0 = lid - 1u;
    for (var i = 0u; i < K; i++) {
      var acc = sv[q0 * K + i];
      for (var k = 0u; k < K; k++) { acc += sm[q0 * KK + i * K + k] * s[k]; }
      nv[i] = acc;
    }
    s = nv;
  }
  for (var c = c0; c < c1; c++) {
    let e = (b * p.C + c) * p.nb + blk;
    for (var i = 0u; i < K; i++) { carry[e * K + i] = s[i]; }
    for (var i = 0u; i < K; i++) {
      var acc = aggV[e * K + i];
      for (var k = 0u; k < K; k++) { acc += aggM[e * KK + i * K + k] * s[k]; }
      nv[i] = acc;
    }
    s = nv;
  }
}
`;
}

/** Small phase 3. Bindings: 1 a, 2 b, 3 carry, 4 out. One thread per (b, c, block). */
export function matApplySmallWgsl(K: number): string {
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> carry: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  ${THREAD_INDEX_WGSL}
  if (tid >= p.B * p.C * p.nb) { return; }
  let blk = tid % p.nb;
  let c = (tid / p.nb) % p.C;
  let b = tid / (p.nb * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  var s: array<f32, ${K}>;
  var ns: array<f32, ${K}>;
  for (var i = 0u; i < K; i++) { s[i] = carry[tid * K + i]; }
  for (var t = t0; t < t1; t++) {
    let e = (b * p.T + t) * p.nb + blk;
    for (var i = 0u; i < K; i++) {
      var acc = bb[e * K + i];
      for (var k = 0u; k < K; k++) { acc += a[e * KK + i * K + k] * s[k]; }
      ns[i] = acc;
    }
    s = ns;
    for (var i = 0u; i < K; i++) { outp[e * K + i] = s[i]; }
  }
}
`;
}

/** Rows per pass R of the tiled phase-1 kernel (workgroup K·R ≤ 256 threads) and rows per thread E. */
export function tiledShape(K: number): { R: number; E: number; threads: number } {
  const R = Math.max(1, Math.min(K, Math.floor(256 / K)));
  return { R, E: Math.ceil(K / R), threads: K * R };
}

/**
 * Tiled phase 1: one workgroup of K·R threads per (b, c, block). Thread (r, j) accumulates column j of
 * rows r, r + R, … of A_t·M in registers (each M[k][j] read once from workgroup memory serves E rows);
 * threads 0 … K−1 also advance v. Bindings as {@link matAggSmallWgsl}.
 */
export function matAggTiledWgsl(K: number): string {
  const { R, E, threads } = tiledShape(K);
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
const R: u32 = ${R}u;
const E: u32 = ${E}u;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(4) var<storage, read_write> aggV: array<f32>;
var<workgroup> M: array<f32, ${K * K}>;
var<workgroup> v: array<f32, ${K}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let cid = wid.x + wid.y * nwg.x;
  if (cid >= p.B * p.C * p.nb) { return; }
  let blk = cid % p.nb;
  let c = (cid / p.nb) % p.C;
  let b = cid / (p.nb * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  let j = lid % K;
  let r0 = lid / K;
  for (var q = 0u; q < E; q++) {
    let i = r0 + q * R;
    if (i < K) { M[i * K + j] = select(0.0, 1.0, i == j); }
  }
  if (lid < K) { v[lid] = 0.0; }
  workgroupBarrier();
  var acc: array<f32, ${E}>;
  for (var t = t0; t < t1; t++) {
    let e = (b * p.T + t) * p.nb + blk;
    for (var q = 0u; q < E; q++) { acc[q] = 0.0; }
    for (var k = 0u; k < K; k++) {
      let m = M[k * K + j];
      for (var q = 0u; q < E; q++) {
        let i = min(r0 + q * R, K - 1u);
        acc[q] += a[e * KK + i * K + k] * m;
      }
    }
    var nv = 0.0;
    if (lid < K) {
      nv = bb[e * K + lid];
      for (var k = 0u; k < K; k++) { nv += a[e * KK + lid * K + k] * v[k]; }
    }
    workgroupBarrier();
    for (var q = 0u; q < E; q++) {
      let i = r0 + q * R;
      if (i < K) { M[i * K + j] = acc[q]; }
    }
    if (lid < K) { v[lid] = nv; }
    workgroupBarrier();
  }
  for (var q = 0u; q < E; q++) {
    let i = r0 + q * R;
    if (i < K) { aggM[cid * KK + i * K + j] = M[i * K + j]; }
  }
  if (lid < K) { aggV[cid * K + lid] = v[lid]; }
}
`;
}

/**
 * Tiled phase 2: one workgroup of K threads per (b, block) walks the C chunk maps in order, thread i
 * owning component i. Thread i loads column i of the next chunk's map into registers while the
 * current one is applied (coalesced across threads, latency hidden), then stages it into workgroup
 * memory (rows padded to K + 1 floats, no bank conflicts). Bindings as {@link matCarrySmallWgsl}.
 */
export function matCarryTiledWgsl(K: number): string {
  const P = K + 1;
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
const P: u32 = ${P}u;
@group(0) @binding(1) var<storage, read> aggM: array<f32>;
@group(0) @binding(2) var<storage, read> aggV: array<f32>;
@group(0) @binding(3) var<storage, read> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> carry: array<f32>;
var<workgroup> s: array<f32, ${K}>;
var<workgroup> Ms: array<f32, ${K * P}>;
@compute @workgroup_size(${K})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let ch = wid.x + wid.y * nwg.x;
  if (ch >= p.B * p.nb) { return; }
  let b = ch / p.nb;
  let blk = ch % p.nb;
  var pre: array<f32, ${K}>;
  let e0 = b * p.C * p.nb + blk;
  for (var u = 0u; u < K; u++) { pre[u] = aggM[e0 * KK + u * K + i]; }
  var acc = s0[(b * p.nb + blk) * K + i];
  for (var c = 0u; c < p.C; c++) {
    let e = e0 + c * p.nb;
    s[i] = acc;
    carry[e * K + i] = acc;
    for (var u = 0u; u < K; u++) { Ms[u * P + i] = pre[u]; }
    let vv = aggV[e * K + i];
    if (c + 1u < p.C) {
      for (var u = 0u; u < K; u++) { pre[u] = aggM[(e + p.nb) * KK + u * K + i]; }
    }
    workgroupBarrier();
    acc = vv;
    for (var k = 0u; k < K; k++) { acc += Ms[i * P + k] * s[k]; }
    workgroupBarrier();
  }
}
`;
}

/** Items (chunk, block) per workgroup of the tiled phase-3 kernel: G·K threads, G = ⌊64 / K⌋ (≥ 1). */
export function tiledApplyGroup(K: number): number {
  return Math.max(1, Math.floor(64 / K));
}

/**
 * Tiled phase 3: G (b, c, block) items per workgroup, K threads each. Thread i of an item loads
 * column i of the item's next operator into registers while the current step is computed (coalesced
 * across the item's threads, latency hidden), stages it into workgroup memory (rows padded to K + 1
 * floats, no bank conflicts), then computes row i of A_t s + b_t from the states in workgroup memory.
 * The step loop runs L times for every item so that barriers stay in uniform control flow; items
 * past T idle. Bindings as {@link matApplySmallWgsl}.
 */
export function matApplyTiledWgsl(K: number): string {
  const G = tiledApplyGroup(K);
  const P = K + 1;
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
const G: u32 = ${G}u;
const P: u32 = ${P}u;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> carry: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;
var<workgroup> s: array<f32, ${G * K}>;
var<workgroup> As: array<f32, ${G * K * P}>;
@compute @workgroup_size(${G * K})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let total = p.B * p.C * p.nb;
  let g = lid / K;
  let i = lid % K;
  let item = (wid.x + wid.y * nwg.x) * G + g;
  let valid = item < total;
  let it = min(item, total - 1u);
  let blk = it % p.nb;
  let c = (it / p.nb) % p.C;
  let b = it / (p.nb * p.C);
  let base = g * K;
  let ab = g * K * P;
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  // Element (u, i) of A_t for t = t0 + j sits at e0 + j·nb·KK + u·K + i.
  let e0 = ((b * p.T + t0) * p.nb + blk) * KK + i;
  let stride = p.nb * KK;
  var pre: array<f32, ${K}>;
  if (valid && t0 < t1) {
    for (var u = 0u; u < K; u++) { pre[u] = a[e0 + u * K]; }
  }
  var acc = select(0.0, carry[it * K + i], valid);
  for (var j = 0u; j < p.L; j++) {
    let t = t0 + j;
    let act = valid && t < t1;
    s[lid] = acc;
    for (var u = 0u; u < K; u++) { As[ab + u * P + i] = pre[u]; }
    if (act && t + 1u < t1) {
      let en = e0 + (j + 1u) * stride;
      for (var u = 0u; u < K; u++) { pre[u] = a[en + u * K]; }
    }
    workgroupBarrier();
    if (act) {
      let e = (b * p.T + t) * p.nb + blk;
      acc = bb[e * K + i];
      for (var k = 0u; k < K; k++) { acc += As[ab + i * P + k] * s[base + k]; }
      outp[e * K + i] = acc;
    }
    workgroupBarrier();
  }
}
`;
}

/** Whether the register-tiled phase 1 ({@link matAggGemmWgsl}) applies: K a multiple of 4, K ≥ 16. */
export function gemmApplies(K: number): boolean {
  return K % 4 === 0 && K >= 16;
}

/** Workgroup memory (bytes) and threads of {@link matAggGemmWgsl}. */
export function gemmShape(K: number): { bytes: number; threads: number } {
  return { bytes: 4 * (K * K + K * (K + 4) + K), threads: (K / 4) ** 2 };
}

/**
 * Register-tiled phase 1 for K = 4m ≥ 16: one workgroup of (K/4)² threads per (b, c, block); thread
 * (ti, tj) owns the 4×4 tile of rows 4ti…4ti+3 and columns 4tj…4tj+3 of A_t·M. Each step stages A_tᵀ
 * in workgroup memory (rows padded to K + 4 floats), then per k one vec4 of Aᵀ and one vec4 of M feed
 * 16 FMAs. Same bindings and result as {@link matAggTiledWgsl}.
 */
export function matAggGemmWgsl(K: number): string {
  const m = K / 4;
  const W = m * m;
  const P4 = (K + 4) / 4;
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
const M4: u32 = ${m}u;
const P4: u32 = ${P4}u;
const W: u32 = ${W}u;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(4) var<storage, read_write> aggV: array<f32>;
var<workgroup> Mw: array<vec4f, ${K * m}>;
var<workgroup> At: array<vec4f, ${K * P4}>;
var<workgroup> v: array<f32, ${K}>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let cid = wid.x + wid.y * nwg.x;
  if (cid >= p.B * p.C * p.nb) { return; }
  let blk = cid % p.nb;
  let c = (cid / p.nb) % p.C;
  let b = cid / (p.nb * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  let ti = lid / M4;
  let tj = lid % M4;
  // acc[r] = row 4ti + r, columns 4tj … 4tj + 3; starts as the identity's tile.
  var acc: array<vec4f, 4>;
  for (var r = 0u; r < 4u; r++) {
    let row = 4u * ti + r;
    acc[r] = vec4f(select(0.0, 1.0, row == 4u * tj), select(0.0, 1.0, row == 4u * tj + 1u),
                   select(0.0, 1.0, row == 4u * tj + 2u), select(0.0, 1.0, row == 4u * tj + 3u));
  }
  var nv = 0.0;
  for (var t = t0; t < t1; t++) {
    let e = (b * p.T + t) * p.nb + blk;
    // Write back the previous step's tile (the identity at the first step) and stage A_tᵀ.
    for (var r = 0u; r < 4u; r++) { Mw[(4u * ti + r) * M4 + tj] = acc[r]; }
    if (lid < K) { v[lid] = nv; }
    for (var q = lid; q < KK; q += W) {
      let i = q / K;
      let k = q % K;
      At[k * P4 + i / 4u][i % 4u] = a[e * KK + q];
    }
    workgroupBarrier();
    for (var r = 0u; r < 4u; r++) { acc[r] = vec4f(0.0); }
    for (var k = 0u; k < K; k++) {
      let mv = Mw[k * M4 + tj];
      let av = At[k * P4 + ti];
      acc[0] += av.x * mv;
      acc[1] += av.y * mv;
      acc[2] += av.z * mv;
      acc[3] += av.w * mv;
    }
    if (lid < K) {
      var s = bb[e * K + lid];
      for (var k = 0u; k < K; k++) { s += At[k * P4 + lid / 4u][lid % 4u] * v[k]; }
      nv = s;
    }
    workgroupBarrier();
  }
  let ob = cid * KK;
  for (var r = 0u; r < 4u; r++) {
    let row = 4u * ti + r;
    let o = ob + row * K + 4u * tj;
    aggM[o] = acc[r].x;
    aggM[o + 1u] = acc[r].y;
    aggM[o + 2u] = acc[r].z;
    aggM[o + 3u] = acc[r].w;
  }
  if (lid < K) { aggV[cid * K + lid] = nv; }
}
`;
}

/** Workgroup memory (bytes) of {@link matAggStagedWgsl}. */
export function stagedBytes(K: number): number {
  return 4 * (K * K + K * (K + 1) + K);
}

/**
 * Staged phase 1 (same thread layout as {@link matAggTiledWgsl}): each step's operator is copied into
 * workgroup memory with coalesced loads, and the loads of step t + 1 are issued into registers before
 * step t is computed (software pipelining), so their latency overlaps the arithmetic.
 */
export function matAggStagedWgsl(K: number): string {
  const { R, E, threads } = tiledShape(K);
  const PER = Math.ceil((K * K) / threads);
  const P = K + 1;
  return /* wgsl */ `
${MAT_UNIFORM_WGSL}
${constants(K)}
const R: u32 = ${R}u;
const E: u32 = ${E}u;
const W: u32 = ${threads}u;
const PER: u32 = ${PER}u;
const P: u32 = ${P}u;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> aggM: array<f32>;
@group(0) @binding(4) var<storage, read_write> aggV: array<f32>;
var<workgroup> M: array<f32, ${K * K}>;
var<workgroup> As: array<f32, ${K * P}>;
var<workgroup> v: array<f32, ${K}>;
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let cid = wid.x + wid.y * nwg.x;
  if (cid >= p.B * p.C * p.nb) { return; }
  let blk = cid % p.nb;
  let c = (cid / p.nb) % p.C;
  let b = cid / (p.nb * p.C);
  let t0 = c * p.L;
  let t1 = min(t0 + p.L, p.T);
  let j = lid % K;
  let r0 = lid / K;
  var acc: array<f32, ${E}>;
  for (var q = 0u; q < E; q++) { acc[q] = select(0.0, 1.0, r0 + q * R == j); }
  var nv = 0.0;
  var pre: array<f32, ${PER}>;
  let e0 = ((b * p.T + t0) * p.nb + blk) * KK;
  for (var u = 0u; u < PER; u++) { pre[u] = a[e0 + min(lid + u * W, KK - 1u)]; }
  for (var t = t0; t < t1; t++) {
    let e = (b * p.T + t) * p.nb + blk;
    for (var u = 0u; u < PER; u++) {
      let q = lid + u * W;
      if (q < KK) { As[(q / K) * P + q % K] = pre[u]; }
    }
    for (var q = 0u; q < E; q++) {
      let i = r0 + q * R;
      if (i < K) { M[i * K + j] = acc[q]; }
    }
    if (lid < K) { v[lid] = nv; }
    if (t + 1u < t1) {
      let en = (e + p.nb) * KK;
      for (var u = 0u; u < PER; u++) { pre[u] = a[en + min(lid + u * W, KK - 1u)]; }
    }
    workgroupBarrier();
    for (var q = 0u; q < E; q++) { acc[q] = 0.0; }
    for (var k = 0u; k < K; k++) {
      let m = M[k * K + j];
      for (var q = 0u; q < E; q++) {
        let i = min(r0 + q * R, K - 1u);
        acc[q] += As[i * P + k] * m;
      }
    }
    if (lid < K) {
      var s = bb[e * K + lid];
      for (var k = 0u; k < K; k++) { s += As[lid * P + k] * v[k]; }
      nv = s;
    }
    workgroupBarrier();
  }
  for (var q = 0u; q < E; q++) {
    let i = r0 + q * R;
    if (i < K) { aggM[cid * KK + i * K + j] = acc[q]; }
  }
  if (lid < K) { aggV[cid * K + lid] = nv; }
}
`;
}
