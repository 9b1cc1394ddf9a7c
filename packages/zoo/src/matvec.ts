/**
 * Allocation-free matrix–vector kernels over row-major weight blocks, shared by the cells.
 * `w` holds a `[rows][cols]` block starting at row `rowStart` of a matrix with `cols` columns.
 */

/** out[oo + i] += Σ_j W[rowStart + i][j] · v[vo + j] for i < rows. */
export function gemvAdd(
  w: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  v: ArrayLike<number>,
  vo: number,
  out: Float64Array,
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const base = (rowStart + i) * cols;
    let acc = 0;
    for (let j = 0; j < cols; j++) acc += w[base + j] * v[vo + j];
    out[oo + i] += acc;
  }
}

/** out[oo + j] += Σ_i W[rowStart + i][j] · u[uo + i] for j < cols (the transposed product). */
export function gemvTransposeAdd(
  w: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  u: ArrayLike<number>,
  uo: number,
  out: { [i: number]: number },
  oo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (rowStart + i) * cols;
    for (let j = 0; j < cols; j++) out[oo + j] += w[base + j] * ui;
  }
}

/** G[rowStart + i][j] += u[uo + i] · v[vo + j]: the rank-one update of a weight gradient. */
export function outerAdd(
  g: Float64Array,
  rowStart: number,
  rows: number,
  cols: number,
  u: ArrayLike<number>,
  uo: number,
  v: ArrayLike<number>,
  vo: number,
): void {
  for (let i = 0; i < rows; i++) {
    const ui = u[uo + i];
    if (ui === 0) continue;
    const base = (rowStart + i) * cols;
    for (let j = 0; j < cols; j++) g[base + j] += ui * v[vo + j];
  }
}

/** The logistic sigmoid 1 / (1 + e^{−a}), computed without overflow for large |a|. */
export function sigmoid(a: number): number {
  if (a >= 0) return 1 / (1 + Math.exp(-a));
  const e = Math.exp(a);
  return e / (1 + e);
}
