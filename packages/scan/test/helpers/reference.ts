/**
 * Independent float64 references for the affine scans, written as the plainest possible loops over
 * contiguous `[B][T][…]` arrays: the forward recurrence, and the reverse recurrence as an explicit
 * transposed loop.
 */

/** Element (i, j) of A_t's op for one step (dense, diagonal or block layout), before transposition. */
function entry(
  structure: string,
  n: number,
  k: number,
  a: ArrayLike<number>,
  base: number,
  i: number,
  j: number,
): number {
  if (structure === 'dense') return a[base + i * n + j];
  if (structure === 'diagonal') return i === j ? a[base + i] : 0;
  const p = Math.floor(i / k);
  if (Math.floor(j / k) !== p) return 0;
  return a[base + p * k * k + (i - p * k) * k + (j - p * k)];
}

/** The states of s_t = op(A_t) s_prev + b_t, forward or reverse, for every batch member. */
export function referenceAffineScan(
  structure: 'dense' | 'diagonal' | 'block',
  blockSize: number,
  batch: number,
  length: number,
  n: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  s0: ArrayLike<number> | null,
  reverse: boolean,
  transpose: boolean,
): Float64Array {
  const step = structure === 'dense' ? n * n : structure === 'diagonal' ? n : n * blockSize;
  const out = new Float64Array(batch * length * n);
  for (let kb = 0; kb < batch; kb++) {
    let prev = new Float64Array(n);
    if (s0) for (let i = 0; i < n; i++) prev[i] = s0[kb * n + i];
    if (!reverse) {
      for (let t = 0; t < length; t++) {
        const base = (kb * length + t) * step;
        const next = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let acc = b[(kb * length + t) * n + i];
          for (let j = 0; j < n; j++)
            acc +=
              (transpose
                ? entry(structure, n, blockSize, a, base, j, i)
                : entry(structure, n, blockSize, a, base, i, j)) * prev[j];
          next[i] = acc;
        }
        out.set(next, (kb * length + t) * n);
        prev = next;
      }
    } else {
      // λ_t = op(A_t) λ_{t+1} + b_t from t = T−1 down to 0, λ_T = s0.
      for (let t = length - 1; t >= 0; t--) {
        const base = (kb * length + t) * step;
        const next = new Float64Array(n);
        for (let j = 0; j < n; j++) {
          let acc = b[(kb * length + t) * n + j];
          for (let i = 0; i < n; i++) {
            const aji = transpose
              ? entry(structure, n, blockSize, a, base, i, j)
              : entry(structure, n, blockSize, a, base, j, i);
            acc += aji * prev[i];
          }
          next[j] = acc;
        }
        out.set(next, (kb * length + t) * n);
        prev = next;
      }
    }
  }
  return out;
}
