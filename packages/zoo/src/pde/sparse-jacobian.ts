/** A coordinate-list (COO) sparse matrix buffer for method-of-lines Jacobians (duplicates add up). */

/** Triplets (row, col, value); `count` entries are in use. */
export interface CooMatrix {
  readonly size: number;
  readonly rows: Int32Array;
  readonly cols: Int32Array;
  readonly values: Float64Array;
  count: number;
}

/** Allocates a COO buffer for an n×n matrix with room for `capacity` entries. */
export function createCoo(size: number, capacity: number): CooMatrix {
  return {
    size,
    rows: new Int32Array(capacity),
    cols: new Int32Array(capacity),
    values: new Float64Array(capacity),
    count: 0,
  };
}

/** Appends one entry. */
export function cooAdd(m: CooMatrix, row: number, col: number, value: number): void {
  const k = m.count++;
  m.rows[k] = row;
  m.cols[k] = col;
  m.values[k] = value;
}

/** Writes `alpha·M + beta·I` densely (row-major n×n) to `out[oo …]`. */
export function cooToDense(
  m: CooMatrix,
  alpha: number,
  beta: number,
  out: { [i: number]: number },
  oo: number,
): void {
  const n = m.size;
  for (let i = 0; i < n * n; i++) out[oo + i] = 0;
  for (let i = 0; i < n; i++) out[oo + i * n + i] = beta;
  for (let k = 0; k < m.count; k++) out[oo + m.rows[k] * n + m.cols[k]] += alpha * m.values[k];
}

/** Writes `out = M · D` for a dense row-major n×n D (out must not alias D). */
export function cooTimesDense(m: CooMatrix, d: Float64Array, out: Float64Array): void {
  const n = m.size;
  out.fill(0, 0, n * n);
  for (let k = 0; k < m.count; k++) {
    const r = m.rows[k] * n;
    const c = m.cols[k] * n;
    const v = m.values[k];
    for (let j = 0; j < n; j++) out[r + j] += v * d[c + j];
  }
}

/** Writes `y = M·x` for vectors. */
export function cooTimesVector(m: CooMatrix, x: ArrayLike<number>, xo: number, y: Float64Array): void {
  y.fill(0, 0, m.size);
  for (let k = 0; k < m.count; k++) y[m.rows[k]] += m.values[k] * x[xo + m.cols[k]];
}

/** Largest |row − col| among the entries (the half-bandwidth). */
export function cooBandwidth(m: CooMatrix): number {
  let p = 0;
  for (let k = 0; k < m.count; k++) p = Math.max(p, Math.abs(m.rows[k] - m.cols[k]));
  return p;
}
