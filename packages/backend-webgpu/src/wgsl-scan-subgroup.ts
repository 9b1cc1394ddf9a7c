/**
 * Phase 2 of the diagonal scan with subgroup operations (used when the device has the `subgroups`
 * feature): the in-workgroup scan of segment aggregates is a shuffle-up Hillis–Steele scan inside each
 * subgroup (no barriers), then one pass over the few subgroup totals in workgroup memory. Same bindings
 * and result as {@link CARRY_WGSL}, which stays the fallback.
 *
 * WGSL does not promise that subgroups cover contiguous `local_invocation_index` ranges, so each
 * subgroup claims a contiguous range of logical positions with one atomic, and segments of chunks are
 * assigned by logical position (ordered by `subgroup_invocation_id` within the subgroup).
 */
import { CARRY_WG, SCAN_UNIFORM_WGSL } from './wgsl-scan.js';

/** Subgroup variant of the diagonal carry kernel. Bindings as {@link CARRY_WGSL}. */
export const CARRY_SUBGROUP_WGSL = /* wgsl */ `
enable subgroups;
${SCAN_UNIFORM_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> agg: array<vec2f>;
@group(0) @binding(2) var<storage, read> s0: array<f32>;
@group(0) @binding(3) var<storage, read> status: array<u32>;
@group(0) @binding(4) var<storage, read_write> carry: array<f32>;
var<workgroup> next: atomic<u32>;
var<workgroup> totals: array<vec2f, ${CARRY_WG}>;
@compute @workgroup_size(${CARRY_WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(subgroup_invocation_id) sid: u32, @builtin(subgroup_size) sgs: u32) {
  let ch = wid.x + wid.y * nwg.x;
  let valid = ch < p.B * p.n;
  let b = min(ch / p.n, p.B - 1u);
  let i = ch % p.n;
  let run = valid && status[b] == 0u;
  var first = 0u;
  if (sid == 0u) { first = atomicAdd(&next, sgs); }
  let base = subgroupBroadcastFirst(first);
  let pos = base + sid;
  let sg = base / sgs;
  let seg = (p.C + ${CARRY_WG - 1}u) / ${CARRY_WG}u;
  let c0 = min(pos * seg, p.C);
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
  // Inclusive scan inside the subgroup: compose with the lane "off" positions earlier.
  for (var off = 1u; off < sgs; off = off << 1u) {
    let pa = subgroupShuffleUp(A, off);
    let ps = subgroupShuffleUp(S, off);
    if (sid >= off) {
      S = A * ps + S;
      A = A * pa;
    }
  }
  if (sid == sgs - 1u) { totals[sg] = vec2f(A, S); }
  // Exclusive value of this lane: the inclusive value of the previous lane.
  let ea = subgroupShuffleUp(A, 1u);
  let es = subgroupShuffleUp(S, 1u);
  workgroupBarrier();
  if (run) {
    var s = s0[p.s0Offset + b * p.s0Stride + i];
    for (var q = 0u; q < sg; q++) {
      let e = totals[q];
      s = e.x * s + e.y;
    }
    if (sid > 0u) { s = ea * s + es; }
    for (var c = c0; c < c1; c++) {
      let k = (b * p.C + c) * p.n + i;
      carry[k] = s;
      let e = agg[k];
      s = e.x * s + e.y;
    }
  }
}
`;
