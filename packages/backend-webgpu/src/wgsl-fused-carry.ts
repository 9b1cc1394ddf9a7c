/**
 * The latency path of the fused diagonal (quasi-DEER) Newton loop: phase 2 (the carries) with the
 * per-sequence convergence check and the update counter folded in, so that an iteration is three
 * dispatches (phase 1, this, phase 3) instead of five. Meant for problems where an iteration is bound by
 * dispatch latency rather than by memory traffic: every workgroup of a sequence reduces that sequence's
 * partial results itself (the same reduction, in the same order, as `checkWgsl`), so the reduction is
 * repeated n times per sequence.
 *
 * The update counter lives in two words, status[2B + q] for the iterations run on ping-pong parity q:
 * the kernels of parity q read word q, and this kernel writes word 1 − q, which nothing reads during
 * the iteration, so no dispatch reads a word another workgroup of it is writing.
 */
import { HISTORY_FIELDS, SOLVE_UNIFORM_WGSL } from './wgsl-fused.js';
import { STEP_NON_FINITE_THRESHOLD, workgroupAffineScanWgsl } from './wgsl-common.js';

/** Threads of a carry workgroup (one workgroup per (sequence, state component)). */
export const FUSED_CARRY_WG = 256;

/**
 * Phase 2 fused with the convergence check, one workgroup of {@link FUSED_CARRY_WG} threads per
 * (sequence b, component i), dispatched as `grid(B·n, 1)`:
 * 1. reduces part and stepPart of sequence b (as `checkWgsl`, whose decision it reproduces bit for bit);
 *    the workgroup of component 0 records the history slot and the status words, and the very first
 *    workgroup advances the counter (word 1 − q);
 * 2. unless that check stops the sequence, scans the chunk maps (A, S) of component i into each chunk's
 *    carry-in state (the algorithm of `CARRY_WGSL`, with more threads per channel).
 *
 * Bindings: 0 SolveParams, 1 part, 2 stepPart, 3 status (rw, `[2B + 2]`), 4 hist (rw), 5 agg
 * `[B][C][n]` (A, S), 6 hs (current iterate; row 0 of a sequence = h0), 7 carry `[B][C][n]` (out).
 * `n` = state size, `perSequence` = partial entries per (sequence, chunk), `q` = ping-pong parity.
 */
export function carryCheckWgsl(n: number, perSequence: number, q: 0 | 1): string {
  const W = FUSED_CARRY_WG;
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
@group(0) @binding(1) var<storage, read> part: array<vec4f>;
@group(0) @binding(2) var<storage, read> stepPart: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> status: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<f32>;
@group(0) @binding(5) var<storage, read> agg: array<vec2f>;
@group(0) @binding(6) var<storage, read> hs: array<f32>;
@group(0) @binding(7) var<storage, read_write> carry: array<f32>;
const N: u32 = ${n}u;
const W: u32 = ${W}u;
var<workgroup> r0: array<vec4f, W>;
var<workgroup> r1: array<vec2f, W>;
var<workgroup> sa: array<f32, W>;
var<workgroup> sc: array<f32, W>;
var<workgroup> verdict: u32;
var<workgroup> before: u32;
// (max |r|, max violation, Σ r², non-finite flag) of two partial results.
fn fold(a: vec4f, q: vec4f) -> vec4f { return vec4f(max(a.x, q.x), max(a.y, q.y), a.z + q.z, max(a.w, q.w)); }
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * nwg.x;
  if (ch >= p.B * N) { return; }
  let b = ch / N;
  let i = ch % N;
  let it = status[2u * p.B + ${q}u];
  if (ch == 0u && lid == 0u) { status[2u * p.B + ${1 - q}u] = it + 1u; }
  // Only the workgroup of component 0 writes status[b] here; one of another component that reads the
  // new stop skips its carries, which phase 3 skips too.
  if (lid == 0u) { before = status[b]; }
  let st = workgroupUniformLoad(&before);
  if (st != 0u) {
    if (i == 0u && lid == 0u) { hist[((it % p.pad) * p.B + b) * ${HISTORY_FIELDS}u + 3u] = f32(st); }
    return;
  }
  let cnt = p.C * ${perSequence}u;
  var a = vec4f(0.0, -3.0e38, 0.0, 0.0);
  var s = vec2f(0.0, 0.0);
  // Four entries per round, loaded before they are folded (in the order of checkWgsl's loop), so that a
  // thread has four loads in flight instead of one.
  var k = lid;
  for (; k + 3u * W < cnt; k += 4u * W) {
    let o = b * cnt + k;
    let q0 = part[o];
    let q1 = part[o + W];
    let q2 = part[o + 2u * W];
    let q3 = part[o + 3u * W];
    let e0 = stepPart[o];
    let e1 = stepPart[o + W];
    let e2 = stepPart[o + 2u * W];
    let e3 = stepPart[o + 3u * W];
    a = fold(fold(fold(fold(a, q0), q1), q2), q3);
    s = max(max(max(max(s, e0), e1), e2), e3);
  }
  for (; k < cnt; k += W) {
    a = fold(a, part[b * cnt + k]);
    s = max(s, stepPart[b * cnt + k]);
  }
  r0[lid] = a;
  r1[lid] = s;
  workgroupBarrier();
  for (var off = W / 2u; off > 0u; off = off >> 1u) {
    if (lid < off) {
      let q = r0[lid + off];
      let e = r1[lid + off];
      a = fold(a, q);
      s = max(s, e);
      r0[lid] = a;
      r1[lid] = s;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    var v = 0u;
    if (a.w > 0.0 || s.y >= ${STEP_NON_FINITE_THRESHOLD}) { v = 2u; }
    else if (a.y <= 0.0 && s.y <= 0.0) { v = 1u; }
    verdict = v;
    if (i == 0u) {
      let h = ((it % p.pad) * p.B + b) * ${HISTORY_FIELDS}u;
      hist[h] = a.x;
      hist[h + 1u] = a.z;
      hist[h + 2u] = s.x;
      hist[h + 3u] = 0.0;
      hist[h + 4u] = a.w;
      hist[h + 5u] = s.y;
      if (v != 0u) {
        status[b] = v;
        status[p.B + b] = it;
      }
    }
  }
  if (workgroupUniformLoad(&verdict) != 0u) { return; }
  let seg = (p.C + ${W - 1}u) / W;
  let c0 = min(lid * seg, p.C);
  let c1 = min(c0 + seg, p.C);
  var A = 1.0;
  var S = 0.0;
  // Chunk maps four at a time, loaded before they are composed (same order as one at a time).
  var c = c0;
  for (; c + 4u <= c1; c += 4u) {
    let o = (b * p.C + c) * N + i;
    let e0 = agg[o];
    let e1 = agg[o + N];
    let e2 = agg[o + 2u * N];
    let e3 = agg[o + 3u * N];
    A = e0.x * A;
    S = e0.x * S + e0.y;
    A = e1.x * A;
    S = e1.x * S + e1.y;
    A = e2.x * A;
    S = e2.x * S + e2.y;
    A = e3.x * A;
    S = e3.x * S + e3.y;
  }
  for (; c < c1; c++) {
    let e = agg[(b * p.C + c) * N + i];
    A = e.x * A;
    S = e.x * S + e.y;
  }
${workgroupAffineScanWgsl(W)}
  var x = hs[b * (p.RL * p.RC + 1u) * N + i];
  if (lid > 0u) { x = sa[lid - 1u] * x + sc[lid - 1u]; }
  c = c0;
  for (; c + 4u <= c1; c += 4u) {
    let o = (b * p.C + c) * N + i;
    let e0 = agg[o];
    let e1 = agg[o + N];
    let e2 = agg[o + 2u * N];
    let e3 = agg[o + 3u * N];
    carry[o] = x;
    x = e0.x * x + e0.y;
    carry[o + N] = x;
    x = e1.x * x + e1.y;
    carry[o + 2u * N] = x;
    x = e2.x * x + e2.y;
    carry[o + 3u * N] = x;
    x = e3.x * x + e3.y;
  }
  for (; c < c1; c++) {
    let o = (b * p.C + c) * N + i;
    carry[o] = x;
    let e = agg[o];
    x = e.x * x + e.y;
  }
}
`;
}
