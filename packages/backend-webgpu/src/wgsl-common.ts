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
