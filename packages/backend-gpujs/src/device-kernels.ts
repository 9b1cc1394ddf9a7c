/**
 * Kernel sources of the on-device quasi-DEER iteration (see `device-solver.ts`). Layouts:
 * previous states `[B][T+1][n]` (row 0 of each sequence is h0), f and diagonal `[B][T][n]`, packed
 * diagonal scan elements `[B·n][T][2]` = (a, v) as in `affine-pack.ts` with k = 1, scanned states
 * `[B·n][T]`.
 */

/**
 * Linearisation into packed scan elements: a_t = J_t (the diagonal), v_t = f_t − J_t ⊙ s_{t−1}; at t = 0
 * the start state is folded in (v_0 = J_0 h0 + f_0 − J_0 h0 = f_0).
 */
export const LINEARIZE_SOURCE = `function (gcF, gcD, gcPrev) {
  const n = this.constants.gcN;
  const T = this.constants.gcT;
  const x = this.thread.x;
  const step = Math.floor(x / 2);
  const c = x - step * 2;
  const q = Math.floor(step / T);
  const t = step - q * T;
  const b = Math.floor(q / n);
  const i = q - b * n;
  const o = (b * T + t) * n + i;
  if (c < 1) {
    return gcD[o];
  }
  if (t < 1) {
    return gcF[o];
  }
  return gcF[o] - gcD[o] * gcPrev[(b * (T + 1) + t) * n + i];
}`;

/**
 * The scanned states (`[B·n][T]`, what the chunked scan returns) back into the `[B][T+1][n]` layout
 * (row 0 copied from the previous buffer).
 */
export const EXTRACT_SOURCE = `function (gcE, gcPrev) {
  const n = this.constants.gcN;
  const T = this.constants.gcT;
  const x = this.thread.x;
  const row = Math.floor(x / n);
  const i = x - row * n;
  const b = Math.floor(row / (T + 1));
  const r = row - b * (T + 1);
  if (r < 1) {
    return gcPrev[x];
  }
  return gcE[(b * n + i) * T + r - 1];
}`;

/**
 * Dense linearisation for DEER into packed `[B][T][n² + n]` elements: M_t = J_t, v_t = f_t − J_t s_{t−1}
 * (v_0 = f_0: the start state is folded in). `gcJ` is the dense Jacobian `[B][T][n][n]`.
 */
export const LINEARIZE_DENSE_SOURCE = `function (gcF, gcJ, gcPrev) {
  const n = this.constants.gcN;
  const T = this.constants.gcT;
  const S = n * n + n;
  const x = this.thread.x;
  const step = Math.floor(x / S);
  const c = x - step * S;
  const b = Math.floor(step / T);
  const t = step - b * T;
  if (c < n * n) {
    return gcJ[step * n * n + c];
  }
  const i = c - n * n;
  const o = step * n + i;
  if (t < 1) {
    return gcF[o];
  }
  const pb = (b * (T + 1) + t) * n;
  let acc = gcF[o];
  for (let j = 0; j < n; j++) {
    acc -= gcJ[step * n * n + i * n + j] * gcPrev[pb + j];
  }
  return acc;
}`;

/** Scanned states `[B][T][n]` (chunked scan of 2×2 or 1×1 problems) back into `[B][T+1][n]`. */
export const EXTRACT_ROWS_SOURCE = `function (gcE, gcPrev) {
  const n = this.constants.gcN;
  const T = this.constants.gcT;
  const x = this.thread.x;
  const row = Math.floor(x / n);
  const i = x - row * n;
  const b = Math.floor(row / (T + 1));
  const r = row - b * (T + 1);
  if (r < 1) {
    return gcPrev[x];
  }
  return gcE[(b * T + r - 1) * n + i];
}`;

/** Scanned packed elements `[B][T][n² + n]` (Hillis–Steele) back into `[B][T+1][n]` (the v parts). */
export const EXTRACT_PACKED_SOURCE = `function (gcE, gcPrev) {
  const n = this.constants.gcN;
  const T = this.constants.gcT;
  const S = n * n + n;
  const x = this.thread.x;
  const row = Math.floor(x / n);
  const i = x - row * n;
  const b = Math.floor(row / (T + 1));
  const r = row - b * (T + 1);
  if (r < 1) {
    return gcPrev[x];
  }
  return gcE[(b * T + r - 1) * S + n * n + i];
}`;
