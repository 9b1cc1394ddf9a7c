/**
 * WGSL of the dense Kalman filter and RTS smoother (for ELK) on the GPU, sequential in time: one
 * workgroup of n threads per sequence, thread i owning row i; the covariances live in workgroup
 * memory. Per step: m⁻ = A m + b, AP = A P, P⁻ = AP Aᵀ + qI, then one Gauss–Jordan elimination of
 * [P⁻ + rI | P⁻ | y − m⁻] (symmetric positive definite: no pivoting) gives m = m⁻ + P⁻ S⁻¹ (y − m⁻)
 * and P = r S⁻¹ P⁻ (symmetrised) — the same equations as the CPU's `denseKalmanSequential`. When
 * smoothing, AP_t and P⁻_t are stored per step and the backward pass solves P⁻_{t+1} w = m^s_{t+1} −
 * (A_{t+1} m_t + b_{t+1}) and sets m^s_t = m_t + AP_{t+1}ᵀ w.
 *
 * Bindings: 0 uniform KParams (B, T, n, smoothing, q, r), 1 a `[B][T][n][n]`, 2 b, 3 y (`[B][T][n]`),
 * 4 s0 `[B][n]`, 5 out (means) `[B][T][n]`, 6 AP and 7 P⁻ (`[B][T][n][n]` when smoothing, else unused).
 */

/** Bytes of workgroup memory the kernel needs for state size n. */
export function denseKalmanWorkgroupBytes(n: number): number {
  return 4 * (4 * n * n + 5 * n);
}

/** The kernel for state size n (workgroup of n threads). */
export function denseKalmanWgsl(n: number): string {
  const W = 2 * n + 1;
  return /* wgsl */ `
struct KParams { B: u32, T: u32, n: u32, smoothing: u32, q: f32, r: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: KParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read> s0: array<f32>;
@group(0) @binding(5) var<storage, read_write> outp: array<f32>;
@group(0) @binding(6) var<storage, read_write> apBuf: array<f32>;
@group(0) @binding(7) var<storage, read_write> ppBuf: array<f32>;
const N: u32 = ${n}u;
const NN: u32 = ${n * n}u;
const W: u32 = ${W}u;
var<workgroup> P: array<f32, ${n * n}>;
var<workgroup> AP: array<f32, ${n * n}>;
var<workgroup> Aug: array<f32, ${n * W}>;
var<workgroup> m: array<f32, ${n}>;
var<workgroup> ms: array<f32, ${n}>;
var<workgroup> wv: array<f32, ${n}>;

// Gauss–Jordan elimination of the n × cols augmented matrix in Aug (no pivoting: the left block is
// symmetric positive definite). Afterwards row i holds diag(d) times the solution in its right columns.
fn eliminate(i: u32, cols: u32) {
  for (var k = 0u; k < N; k++) {
    let f = Aug[i * W + k] / Aug[k * W + k];
    workgroupBarrier();
    if (i != k) {
      for (var c = k; c < cols; c++) { Aug[i * W + c] -= f * Aug[k * W + c]; }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(${n})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) i: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= p.B) { return; }
  let smoothing = p.smoothing != 0u;
  m[i] = s0[b * N + i];
  for (var c = 0u; c < N; c++) { P[i * N + c] = 0.0; }
  workgroupBarrier();
  var row: array<f32, ${n}>;
  for (var t = 0u; t < p.T; t++) {
    let st = b * p.T + t;
    let ai = st * NN + i * N;
    // m⁻_i and row i of A P.
    var mp = bb[st * N + i];
    for (var j = 0u; j < N; j++) { mp += a[ai + j] * m[j]; }
    for (var c = 0u; c < N; c++) {
      var acc = 0.0;
      for (var j = 0u; j < N; j++) { acc += a[ai + j] * P[j * N + c]; }
      row[c] = acc;
    }
    for (var c = 0u; c < N; c++) { AP[i * N + c] = row[c]; }
    workgroupBarrier();
    // Row i of P⁻ = (A P) Aᵀ + qI; Aug row i = [P⁻ + rI | P⁻ | y − m⁻].
    for (var c = 0u; c < N; c++) {
      var acc = select(0.0, p.q, c == i);
      for (var j = 0u; j < N; j++) { acc += AP[i * N + j] * a[st * NN + c * N + j]; }
      row[c] = acc;
      Aug[i * W + c] = acc + select(0.0, p.r, c == i);
      Aug[i * W + N + c] = acc;
    }
    Aug[i * W + 2u * N] = y[st * N + i] - mp;
    if (smoothing) {
      for (var c = 0u; c < N; c++) {
        apBuf[st * NN + i * N + c] = AP[i * N + c];
        ppBuf[st * NN + i * N + c] = row[c];
      }
    }
    workgroupBarrier();
    eliminate(i, W);
    // w = S⁻¹ (y − m⁻); m = m⁻ + P⁻ w; P = r S⁻¹ P⁻, symmetrised.
    wv[i] = Aug[i * W + 2u * N] / Aug[i * W + i];
    workgroupBarrier();
    var mn = mp;
    for (var j = 0u; j < N; j++) { mn += row[j] * wv[j]; }
    for (var c = 0u; c < N; c++) {
      let xic = Aug[i * W + N + c] / Aug[i * W + i];
      let xci = Aug[c * W + N + i] / Aug[c * W + c];
      row[c] = 0.5 * p.r * (xic + xci);
    }
    workgroupBarrier();
    m[i] = mn;
    for (var c = 0u; c < N; c++) { P[i * N + c] = row[c]; }
    outp[st * N + i] = mn;
    workgroupBarrier();
  }
  if (!smoothing || p.T < 2u) { return; }
  storageBarrier();
  ms[i] = m[i];
  workgroupBarrier();
  for (var tt = 1u; tt < p.T; tt++) {
    let t = p.T - 1u - tt;
    let s1 = b * p.T + t + 1u;
    // m_t (filtered, all components), v = m^s_{t+1} − (A_{t+1} m_t + b_{t+1}).
    for (var j = 0u; j < N; j++) { row[j] = outp[(s1 - 1u) * N + j]; }
    var pred = bb[s1 * N + i];
    for (var j = 0u; j < N; j++) { pred += a[s1 * NN + i * N + j] * row[j]; }
    for (var c = 0u; c < N; c++) { Aug[i * W + c] = ppBuf[s1 * NN + i * N + c]; }
    Aug[i * W + N] = ms[i] - pred;
    workgroupBarrier();
    eliminate(i, N + 1u);
    wv[i] = Aug[i * W + N] / Aug[i * W + i];
    workgroupBarrier();
    var e = row[i];
    for (var j = 0u; j < N; j++) { e += apBuf[s1 * NN + j * N + i] * wv[j]; }
    workgroupBarrier();
    ms[i] = e;
    outp[(s1 - 1u) * N + i] = e;
    storageBarrier();
    workgroupBarrier();
  }
}
`;
}
