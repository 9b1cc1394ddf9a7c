/**
 * The per-sequence scan of the chunk maps of the fused DEER loops (dense n×n or 2×2-block maps), with
 * the next chunk's map loaded before the barriers of the current one. The scan is sequential over the
 * C chunks of a sequence, so each chunk costs a global-load latency plus two barriers; loading ahead
 * hides the load behind the barriers. Same arithmetic, in the same order, as `matrixSequentialWgsl`
 * (so the same results), and the same bindings.
 */
import { SCAN_UNIFORM_WGSL } from './wgsl-scan.js';

/**
 * Bindings: 0 ScanParams (B, T = chunks per sequence, n), 1 a `[B][T][n][K]` (row i of chunk t's map
 * restricted to i's block of K), 2 bb `[B][T][n]` offsets, 3 s0 `[B][n]`, 4 out `[B][T][n]` (the state
 * after each chunk). One workgroup of `wg` ≥ n threads per sequence.
 */
export function chunkScanPrefetchWgsl(K: number, wg: number): string {
  const loads = Array.from({ length: K }, (_, j) => `a[row + ${j}u]`).join(', ');
  return /* wgsl */ `
${SCAN_UNIFORM_WGSL}
@group(0) @binding(0) var<uniform> p: ScanParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> s0: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;
var<workgroup> s: array<f32, ${wg}>;
struct Map { row: array<f32, ${K}>, off: f32 }
fn load(b: u32, t: u32, i: u32) -> Map {
  let k = (b * p.T + t) * p.n + i;
  let row = k * ${K}u;
  return Map(array<f32, ${K}>(${loads}), bb[k]);
}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let b = min(wid.x + wid.y * nwg.x, p.B - 1u);
  let live = i < p.n;
  let blk = (i / ${K}u) * ${K}u;
  if (live) { s[i] = s0[b * p.n + i]; }
  var m: Map;
  if (live && p.T > 0u) { m = load(b, 0u, i); }
  workgroupBarrier();
  for (var t = 0u; t < p.T; t++) {
    var v = 0.0;
    if (live) {
      v = m.off;
      for (var j = 0u; j < ${K}u; j++) { v += m.row[j] * s[blk + j]; }
      if (t + 1u < p.T) { m = load(b, t + 1u, i); }
    }
    workgroupBarrier();
    if (live) { s[i] = v; outp[(b * p.T + t) * p.n + i] = v; }
    workgroupBarrier();
  }
}
`;
}
