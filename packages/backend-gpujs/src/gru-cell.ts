/**
 * The flax GRU as a {@link gpuCell}: the cell of the GPU benchmark (issue 7), written as plain JavaScript
 * functions that gpu.js compiles, with its exact diagonal and dense Jacobians. One kernel thread computes
 * one unit's three gate pre-activations (3(m + n) multiply–adds against weights in array constants).
 */
import { checkInteger, checkLength } from '@antler/core';
import { type GpuCell, gpuCell } from './gpu-cell.js';

/**
 * Flax GRU weights, gates ordered (r, z, n) in column blocks of width n (G = 3n columns):
 * `wx` is `[(m + 1)][G]`, the input weights with the input biases as its last row; `wh` is `[n][G]`, the
 * hidden weights, followed by the candidate's hidden bias b_hn `[n]` (length nG + n). This is the layout
 * of `packGru` in `@antler/backend-webgpu`.
 */
export interface FlaxGruWeights {
  /** Hidden size n. */
  readonly hiddenSize: number;
  /** Input size m. */
  readonly inputSize: number;
  readonly wx: ArrayLike<number>;
  readonly wh: ArrayLike<number>;
}

/**
 * The flax GRU step, h' = (1 − z) ⊙ c + z ⊙ h with r = σ(W_ir x + b_ir + W_hr h),
 * z = σ(W_iz x + b_iz + W_hz h), c = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), as a gpuCell with
 * `diagonal` (quasi-DEER) and `jacobian` (DEER) functions.
 *
 * @example
 * ```ts
 * import { createGpuJsBackend, flaxGruGpuCell } from '@antler/backend-gpujs';
 * const n = 4;
 * const m = 2;
 * const wx = new Float32Array((m + 1) * 3 * n).map((_, k) => Math.sin(k) * 0.5);
 * const wh = new Float32Array((3 * n + 1) * n).map((_, k) => Math.cos(k) * 0.5);
 * const cell = flaxGruGpuCell({ hiddenSize: n, inputSize: m, wx, wh });
 * const backend = await createGpuJsBackend({ mode: 'webgpu' });
 * const inputs = new Float32Array(100 * m).map((_, k) => Math.sin(0.1 * k));
 * const r = await backend.solveOnDevice(cell, inputs, { method: 'quasi-deer', dtype: 'float32' });
 * console.log(r?.converged); // → true
 * await backend.dispose();
 * ```
 */
export function flaxGruGpuCell(weights: FlaxGruWeights): GpuCell {
  const n = checkInteger(weights.hiddenSize, 'hiddenSize');
  const m = checkInteger(weights.inputSize, 'inputSize', 0);
  const G = 3 * n;
  checkLength('wx', weights.wx, [m + 1, G], ['m + 1', '3n']);
  checkLength('wh', weights.wh, [n * G + n], ['3n² + n']);
  return gpuCell({
    kind: 'gru-flax',
    stateSize: n,
    inputSize: m,
    constants: { n, m, G },
    arrays: { wx: weights.wx, wh: weights.wh },
    step(h, x, i) {
      const n = this.constants.n;
      const m = this.constants.m;
      const G = this.constants.G;
      let ar = this.arrays.wx[m * G + i];
      let az = this.arrays.wx[m * G + n + i];
      let an = this.arrays.wx[m * G + 2 * n + i];
      for (let k = 0; k < m; k++) {
        const xk = x[k];
        ar += xk * this.arrays.wx[k * G + i];
        az += xk * this.arrays.wx[k * G + n + i];
        an += xk * this.arrays.wx[k * G + 2 * n + i];
      }
      let hn = this.arrays.wh[n * G + i];
      for (let k = 0; k < n; k++) {
        const hk = h[k];
        ar += hk * this.arrays.wh[k * G + i];
        az += hk * this.arrays.wh[k * G + n + i];
        hn += hk * this.arrays.wh[k * G + 2 * n + i];
      }
      const r = 1 / (1 + Math.exp(-ar));
      const z = 1 / (1 + Math.exp(-az));
      const c = Math.tanh(an + r * hn);
      return (1 - z) * c + z * h[i];
    },
    diagonal(h, x, i) {
      const n = this.constants.n;
      const m = this.constants.m;
      const G = this.constants.G;
      let ar = this.arrays.wx[m * G + i];
      let az = this.arrays.wx[m * G + n + i];
      let an = this.arrays.wx[m * G + 2 * n + i];
      for (let k = 0; k < m; k++) {
        const xk = x[k];
        ar += xk * this.arrays.wx[k * G + i];
        az += xk * this.arrays.wx[k * G + n + i];
        an += xk * this.arrays.wx[k * G + 2 * n + i];
      }
      let hn = this.arrays.wh[n * G + i];
      for (let k = 0; k < n; k++) {
        const hk = h[k];
        ar += hk * this.arrays.wh[k * G + i];
        az += hk * this.arrays.wh[k * G + n + i];
        hn += hk * this.arrays.wh[k * G + 2 * n + i];
      }
      const r = 1 / (1 + Math.exp(-ar));
      const z = 1 / (1 + Math.exp(-az));
      const c = Math.tanh(an + r * hn);
      // ∂c/∂h_i through W_hn (scaled by r) and through r (σ' times W_hr); ∂z/∂h_i through W_hz.
      const dc =
        (1 - c * c) * (r * this.arrays.wh[i * G + 2 * n + i] + hn * r * (1 - r) * this.arrays.wh[i * G + i]);
      const dz = z * (1 - z) * this.arrays.wh[i * G + n + i];
      return (1 - z) * dc + (h[i] - c) * dz + z;
    },
    jacobian(h, x, i, j) {
      const n = this.constants.n;
      const m = this.constants.m;
      const G = this.constants.G;
      let ar = this.arrays.wx[m * G + i];
      let az = this.arrays.wx[m * G + n + i];
      let an = this.arrays.wx[m * G + 2 * n + i];
      for (let k = 0; k < m; k++) {
        const xk = x[k];
        ar += xk * this.arrays.wx[k * G + i];
        az += xk * this.arrays.wx[k * G + n + i];
        an += xk * this.arrays.wx[k * G + 2 * n + i];
      }
      let hn = this.arrays.wh[n * G + i];
      for (let k = 0; k < n; k++) {
        const hk = h[k];
        ar += hk * this.arrays.wh[k * G + i];
        az += hk * this.arrays.wh[k * G + n + i];
        hn += hk * this.arrays.wh[k * G + 2 * n + i];
      }
      const r = 1 / (1 + Math.exp(-ar));
      const z = 1 / (1 + Math.exp(-az));
      const c = Math.tanh(an + r * hn);
      const dc =
        (1 - c * c) * (r * this.arrays.wh[j * G + 2 * n + i] + hn * r * (1 - r) * this.arrays.wh[j * G + i]);
      const dz = z * (1 - z) * this.arrays.wh[j * G + n + i];
      let v = (1 - z) * dc + (h[i] - c) * dz;
      if (j === i) {
        v += z;
      }
      return v;
    },
  });
}
