/**
 * Cell-independent WGSL of the fused Newton solves: the uniform and row layout, the input projection,
 * the quasi-DEER phases 1 and 3 (one thread per (sequence, chunk, state component)), the per-sequence
 * convergence check, the iteration counter and the plain sequential evaluation. Each kernel is generated
 * around a cell's WGSL snippet ({@link DeviceCellKernel.wgsl}); the state size n and the projection width
 * G are baked in as constants so that the compiler unrolls the dot products.
 *
 * Buffers:
 * - states `[B][T+1][n]`, slot 0 of each sequence holding h0 (so s_{t-1} never needs a branch);
 * - xp `[B][T][G]`: the input projections W_ih x_t + b, computed once;
 * - w: the cell's packed recurrent weights (layout chosen by the cell);
 * - status `[2B + 1]` u32: `status[b]` 0 active / 1 converged / 2 non-finite, `status[B + b]` the
 *   iteration at which it stopped, `status[2B]` the number of Newton updates applied so far.
 */
import type { DeviceCellKernel } from './device-cell-kernel.js';
import {
  NON_FINITE_WGSL,
  STEP_NON_FINITE,
  STEP_NON_FINITE_THRESHOLD,
  THREAD_INDEX_WGSL,
  WG,
} from './wgsl-common.js';

/**
 * Uniform of the fused kernels (12 words): B, T, chunk length L and count C of the method, input size m,
 * tolerances, history ring size (`pad`), and the chunk layout RL × RC of the stored rows.
 */
export const SOLVE_UNIFORM_WGSL = /* wgsl */ `
struct SolveParams { B: u32, T: u32, L: u32, C: u32, m: u32, atol: f32, rtol: f32, pad: u32, RL: u32, RC: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: SolveParams;

// Time rows are stored chunk-interleaved (row j·RC + c holds t = c·RL + j) so that the threads of
// neighbouring chunks read neighbouring memory at each step of their loops. State row 0 of each
// sequence holds h0.
fn srow(b: u32, t: u32) -> u32 { return b * (p.RL * p.RC + 1u) + 1u + (t % p.RL) * p.RC + t / p.RL; }
fn sprev(b: u32, t: u32) -> u32 { if (t == 0u) { return b * (p.RL * p.RC + 1u); } return srow(b, t - 1u); }
fn xrow(b: u32, t: u32) -> u32 { return b * p.RL * p.RC + (t % p.RL) * p.RC + t / p.RL; }
`;

/** σ and a tanh that cannot overflow (the builtin may return NaN for large |x| on some drivers). */
export const CELL_MATH_WGSL = /* wgsl */ `
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhs(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }
`;

/** The constants N (state size) and G (projection width) and the cell's snippet. */
export function cellHeader(k: DeviceCellKernel): string {
  return /* wgsl */ `
const N: u32 = ${k.n}u;
const G: u32 = ${k.width}u;
${CELL_MATH_WGSL}
${k.wgsl}
`;
}

/** Input projection: xp[b][t][j] = bx[j] + Σ_k x[b][t][k] wx[k][j]. Bindings: 1 x, 2 wx (`[m][G]` then bx), 3 xp. */
export function projectWgsl(width: number): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wx: array<f32>;
@group(0) @binding(3) var<storage, read_write> xp: array<f32>;
const G: u32 = ${width}u;
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

/** Component i at one step from the previous iterate (at hs[hb …]): (f_i, J_ii, s_{t−1,i}). */
const DIAG_UNIT_WGSL = /* wgsl */ `
fn ld(hb: u32, k: u32) -> f32 { return hs[hb + k]; }
fn unit(hb: u32, xb: u32, i: u32) -> vec3f {
  let r = rowOf(hb, xb, i);
  return vec3f(rowF(r), rowDiag(i, r), hs[hb + i]);
}
`;

/**
 * Phase 1 of a quasi-DEER iteration fused with the cell: per (b, chunk, component) thread, evaluate f and
 * diag J at the current iterate, fold the chunk's affine maps into agg, and reduce the residual
 * s_t − f(s_{t−1}) (max |r|, max of |r| − (atol + rtol |s|), Σ r², non-finite flag) into part.
 * Bindings: 1 hs (current iterate), 2 xp, 3 w, 4 status, 5 agg, 6 part.
 */
export function diagLinAggWgsl(k: DeviceCellKernel): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read_write> agg: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> part: array<vec4f>;
${cellHeader(k)}
${DIAG_UNIT_WGSL}
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
    let u = unit(sprev(b, t) * N, xrow(b, t) * G, i);
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
 * The iteration counter a phase-3 kernel compares stop iterations with: the single word of the
 * five-dispatch loop (`null`, advanced by the tick kernel), or the word of ping-pong parity `parity` of the
 * three-dispatch loop (see `wgsl-fused-carry.ts`).
 */
export function iterationCounterWgsl(parity: 0 | 1 | null): string {
  return parity === null ? 'status[2u * p.B]' : `status[2u * p.B + ${parity}u]`;
}

/**
 * Phase 3: re-evaluate the cell along the chunk from its carry-in state and write the new iterate
 * (and max |step| into stepPart). A sequence that stopped at this iteration has its states copied
 * instead, so that both ping-pong buffers hold its final trajectory.
 * Bindings: 1 hs (current), 2 xp, 3 w, 4 status, 5 carry, 6 hn (next), 7 stepPart. `parity` picks the
 * iteration counter ({@link iterationCounterWgsl}).
 */
export function diagApplyWgsl(k: DeviceCellKernel, parity: 0 | 1 | null = null): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
${NON_FINITE_WGSL}
@group(0) @binding(1) var<storage, read> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> status: array<u32>;
@group(0) @binding(5) var<storage, read> carry: array<f32>;
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
@group(0) @binding(7) var<storage, read_write> stepPart: array<vec2f>;
${cellHeader(k)}
${DIAG_UNIT_WGSL}
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
    if (status[p.B + b] == ${iterationCounterWgsl(parity)}) {
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
    let u = unit(sprev(b, t) * N, xrow(b, t) * G, i);
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
 * a large error where the dynamics amplify it) — or non-finite. `perSequence` = partial entries per
 * (sequence, chunk). Bindings: 1 part, 2 stepPart, 3 status (rw), 4 history (rw); uniform `pad` = ring size.
 */
export function checkWgsl(perSequence: number): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
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
${SOLVE_UNIFORM_WGSL}
@group(0) @binding(1) var<storage, read_write> status: array<u32>;
@compute @workgroup_size(1)
fn main() { status[2u * p.B] = status[2u * p.B] + 1u; }
`;

/** Threads of the sequential kernel's workgroup (at most; fewer when n is smaller). */
export const SEQUENTIAL_WG = 64;

/**
 * The plain sequential recurrence on the GPU: one workgroup per sequence, its threads owning the state
 * components i ≡ lid (mod the workgroup size), the state in workgroup memory; T barrier-separated steps.
 * Bindings: 1 hs (rw; slot 0 = h0), 2 xp, 3 w.
 */
export function sequentialWgsl(k: DeviceCellKernel): string {
  const wg = Math.min(k.n, SEQUENTIAL_WG);
  const per = Math.ceil(k.n / wg);
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
@group(0) @binding(1) var<storage, read_write> hs: array<f32>;
@group(0) @binding(2) var<storage, read> xp: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
var<workgroup> hv: array<f32, ${k.n}>;
fn ld(hb: u32, k: u32) -> f32 { return hv[k]; }
${cellHeader(k)}
const WGS: u32 = ${wg}u;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  for (var i = lid; i < N; i += WGS) { hv[i] = hs[b * (p.RL * p.RC + 1u) * N + i]; }
  workgroupBarrier();
  var f: array<f32, ${per}>;
  for (var t = 0u; t < p.T; t++) {
    let xb = xrow(b, t) * G;
    for (var q = 0u; q < ${per}u; q++) {
      let i = lid + q * WGS;
      if (i < N) { f[q] = rowF(rowOf(0u, xb, i)); }
    }
    workgroupBarrier();
    for (var q = 0u; q < ${per}u; q++) {
      let i = lid + q * WGS;
      if (i < N) {
        hv[i] = f[q];
        hs[srow(b, t) * N + i] = f[q];
      }
    }
    workgroupBarrier();
  }
}
`;
}
