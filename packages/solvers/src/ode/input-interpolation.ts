/** Piecewise-linear interpolation of inputs x(t) given at the output times (used by the RK baselines). */

/**
 * Writes x(t) to `out[0 … m)`, linearly interpolated between the samples `inputs[i*m …]` at `times[i]`
 * (constant beyond the ends). `hint` is the interval to start searching from; returns the interval used.
 */
export function interpolateInput(
  times: Float64Array,
  inputs: ArrayLike<number>,
  m: number,
  t: number,
  out: Float64Array,
  hint: number,
): number {
  const T = times.length;
  if (m === 0) return hint;
  const forward = times[T - 1] >= times[0];
  const before = (a: number, b: number) => (forward ? a <= b : a >= b);
  let i = Math.min(Math.max(hint, 0), T - 2);
  if (T === 1 || before(t, times[0])) {
    for (let k = 0; k < m; k++) out[k] = inputs[k];
    return 0;
  }
  if (before(times[T - 1], t)) {
    for (let k = 0; k < m; k++) out[k] = inputs[(T - 1) * m + k];
    return T - 2;
  }
  while (i > 0 && before(t, times[i])) i--;
  while (i < T - 2 && before(times[i + 1], t)) i++;
  const w = (t - times[i]) / (times[i + 1] - times[i]);
  for (let k = 0; k < m; k++) out[k] = (1 - w) * inputs[i * m + k] + w * inputs[(i + 1) * m + k];
  return i;
}
