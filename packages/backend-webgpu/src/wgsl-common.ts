/**
 * WGSL snippets shared by the kernels: non-finite tests by bit pattern (WGSL compilers may assume that
 * floats are finite, so `x != x` is not a reliable NaN test) and the 1-D grid-stride thread index.
 */

/** Workgroup size of the element-wise kernels. */
export const WG = 64;

/** Largest number of workgroups per dispatch dimension (the WebGPU default limit). */
export const MAX_GROUPS = 65535;

/** `nonFinite(x)`: true for NaN and ±Infinity, from the exponent bits. */
export const NON_FINITE_WGSL = /* wgsl */ `
fn nonFinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }
`;

/** Dispatch size for `threads` threads of {@link WG}: [x, y] with x ≤ 65535; kernels read `gid.x + gid.y * nwg.x * WG`. */
export function grid(threads: number, wg = WG): [number, number] {
  const groups = Math.max(1, Math.ceil(threads / wg));
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}

/** Flat thread index line for a kernel dispatched with {@link grid}. */
export const THREAD_INDEX_WGSL = `let tid = gid.x + gid.y * nwg.x * ${WG}u;`;

/**
 * The apply kernels write, per thread, max over their elements of |step| − (atol + rtol·|s|) (≤ 0 when
 * the step meets the tolerance), or this sentinel when a step is non-finite.
 */
export const STEP_NON_FINITE = '3.0e38';
/** Values at or above this (as f32) mean a non-finite step. */
export const STEP_NON_FINITE_THRESHOLD = '1.0e38';

/**
 * Inclusive Hillis–Steele scan of per-thread affine maps (A, S) across one workgroup of `width` threads,
 * in `var<workgroup> sa, sc: array<f32, width>`: on exit thread `lid` holds the composition of threads
 * 0 … lid in (A, S) and in sa[lid], sc[lid]. Expects `lid`, `A`, `S` (var) in scope.
 */
export function workgroupAffineScanWgsl(width: number): string {
  return /* wgsl */ `
  sa[lid] = A;
  sc[lid] = S;
  workgroupBarrier();
  for (var off = 1u; off < ${width}u; off = off << 1u) {
    var pa = 1.0;
    var ps = 0.0;
    if (lid >= off) { pa = sa[lid - off]; ps = sc[lid - off]; }
    workgroupBarrier();
    // (pa, ps) happened before (A, S): compose "earlier then later".
    S = A * ps + S;
    A = A * pa;
    sa[lid] = A;
    sc[lid] = S;
    workgroupBarrier();
  }`;
}
