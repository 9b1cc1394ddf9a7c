/**
 * The GRU's quasi-DEER fast path: phase 1 and 3 kernels with four units per thread (n divisible by 4).
 * Same buffers, bindings and status protocol as the generic scalar kernels in `wgsl-fused.ts`; W_hh is
 * packed as in `gru-kernel.ts` and read as vec4.
 */
import { STEP_NON_FINITE, THREAD_INDEX_WGSL, WG } from './wgsl-common.js';
import { iterationCounterWgsl, SOLVE_UNIFORM_WGSL } from './wgsl-fused.js';

/**
 * Four units per thread (n divisible by 4): the same arithmetic as the generic scalar kernels (`diagLinAggWgsl`/`diagApplyWgsl`) with the GRU snippet,
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

/** Phase 1 with four units per thread (see `diagLinAggWgsl`; `part` is per thread, `agg` per unit). */
export function gruLinAgg4Wgsl(n: number): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
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

/** Phase 3 with four units per thread (see `diagApplyWgsl`). */
export function gruApply4Wgsl(n: number, parity: 0 | 1 | null = null): string {
  return /* wgsl */ `
${SOLVE_UNIFORM_WGSL}
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
    if (status[p.B + b] == ${iterationCounterWgsl(parity)}) {
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
