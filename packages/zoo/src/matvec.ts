/**
 * Allocation-free matrix–vector kernels over row-major weight blocks, shared by the cells.
 * `w` holds a `[rows][cols]` block starting at row `rowStart` of a matrix with `cols` columns.
 *
 * Each public kernel dispatches on the vector's array type to a copy specialised for it, so the
 * JIT sees one element type per loop (a loop that sees both Float32Array and Float64Array runs
 * several times slower).
 */
import type { FloatArray } from '@antler/core';

// Two identical bodies on purpose: one per element type (see the file comment).
function gemvAdd64(
  w: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  v: Float64Array,
  vo: number,
  out: Float64Array,
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const base = (r0 + i) * cols;
    let a0 = 0;
    let a1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      a0 += w[base + j] * v[vo + j];
      a1 += w[base + j + 1] * v[vo + j + 1];
    }
    if (j < cols) a0 += w[base + j] * v[vo + j];
    out[oo + i] += a0 + a1;
  }
}
function gemvAdd32(
  w: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  v: Float32Array,
  vo: number,
  out: Float64Array,
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const base = (r0 + i) * cols;
    let a0 = 0;
    let a1 = 0;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      a0 += w[base + j] * v[vo + j];
      a1 += w[base + j + 1] * v[vo + j + 1];
    }
    if (j < cols) a0 += w[base + j] * v[vo + j];
    out[oo + i] += a0 + a1;
  }
}

/** out[oo + i] += Σ_j W[rowStart + i][j] · v[vo + j] for i < rows. */
export function gemvAdd(
  w: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  v: FloatArray,
  vo: number,
  out: Float64Array,
  oo: number,
): void {
  if (v instanceof Float64Array) gemvAdd64(w, rowStart, rows, cols, v, vo, out, oo);
  else gemvAdd32(w, rowStart, rows, cols, v, vo, out, oo);
}

function gemvTAdd64(
  w: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  out: Float64Array,
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (r0 + i) * cols;
    for (let j = 0; j < cols; j++) out[oo + j] += w[base + j] * ui;
  }
}
function gemvTAdd32(
  w: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  out: Float32Array,
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (r0 + i) * cols;
    for (let j = 0; j < cols; j++) out[oo + j] += w[base + j] * ui;
  }
}

/** out[oo + j] += Σ_i W[rowStart + i][j] · u[uo + i] for j < cols (the transposed product). */
export function gemvTransposeAdd(
  w: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  out: FloatArray,
  oo: number,
): void {
  if (out instanceof Float64Array) gemvTAdd64(w, rowStart, rows, cols, u, uo, out, oo);
  else gemvTAdd32(w, rowStart, rows, cols, u, uo, out, oo);
}

function outer64(
  g: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  v: Float64Array,
  vo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (r0 + i) * cols;
    for (let j = 0; j < cols; j++) g[base + j] += ui * v[vo + j];
  }
}
function outer32(
  g: Float64Array,
  r0: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  v: Float32Array,
  vo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (r0 + i) * cols;
    for (let j = 0; j < cols; j++) g[base + j] += ui * v[vo + j];
  }
}

/** G[rowStart + i][j] += u[uo + i] · v[vo + j]: the rank-one update of a weight gradient. */
export function outerAdd(
  g: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  u: Float64Array,
  uo: number,
  v: FloatArray,
  vo: number,
): void {
  if (v instanceof Float64Array) outer64(g, rowStart, rows, cols, u, uo, v, vo);
  else outer32(g, rowStart, rows, cols, u, uo, v, vo);
}

/** The logistic sigmoid 1 / (1 + e^{−a}), computed without overflow for large |a|. */
export function sigmoid(a: number): number {
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}
