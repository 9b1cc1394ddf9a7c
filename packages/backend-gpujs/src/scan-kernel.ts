/**
 * The Hillis–Steele scan pass over packed affine elements, as gpu.js kernel source. Pass d replaces
 * element t by the composition "apply element t−d, then element t":
 * `M_t ← M_t M_{t−d}`, `v_t ← M_t v_{t−d} + v_t` (elements with t < d are copied). After passes
 * d = 1, 2, 4, … < T every v_t is the state s_t of its problem. The kernel is kept as a source string
 * so that no transpiler rewrites it before gpu.js parses it.
 */

/**
 * Kernel source of one pass: one thread per packed float; constants `k`, `S = k² + k`, `T`; the pass
 * distance `d` is an argument so one compiled kernel serves every pass.
 */
export const SCAN_PASS_SOURCE = `function (e, d) {
  const k = this.constants.k;
  const S = this.constants.S;
  const T = this.constants.T;
  const x = this.thread.x;
  const step = Math.floor(x / S);
  const c = x - step * S;
  const t = step - Math.floor(step / T) * T;
  if (t < d) {
    return e[x];
  }
  const base = step * S;
  const prev = base - d * S;
  let acc = 0;
  if (c < k * k) {
    const i = Math.floor(c / k);
    const j = c - i * k;
    for (let m = 0; m < k; m++) {
      acc += e[base + i * k + m] * e[prev + m * k + j];
    }
    return acc;
  }
  const r = c - k * k;
  for (let m = 0; m < k; m++) {
    acc += e[base + r * k + m] * e[prev + k * k + m];
  }
  return acc + e[base + k * k + r];
}`;

/** Pass distances 1, 2, 4, … below T. */
export function passDistances(length: number): number[] {
  const out: number[] = [];
  for (let d = 1; d < length; d *= 2) out.push(d);
  return out;
}

/**
 * Largest packed buffer one pipeline handles. gpu.js computes thread indices in float32 on some
 * backends, so `floor(x / S)` is exact only while x stays well below 2²⁴; larger problems are split
 * over the batch.
 */
export const MAX_PACKED_ELEMENTS = 2 ** 22;
