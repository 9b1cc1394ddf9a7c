/** The dense Kalman filter / RTS smoother on the GPU against a textbook float64 implementation written here. */
import { ShapeError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { describeScanBackend } from '../../scan/test/backend-conformance.js';
import { checkDenseKalman, createWebGpuBackend, type WebGpuBackend } from '../src/index.js';
import { testBackend } from './gpu.js';

/** x = M⁻¹ R for an n×n M and an n×k R (row-major), Gaussian elimination with partial pivoting. */
function solve(n: number, M: Float64Array, R: Float64Array, k: number): Float64Array {
  const A = Float64Array.from(M);
  const X = Float64Array.from(R);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    for (let j = 0; j < n; j++) [A[c * n + j], A[piv * n + j]] = [A[piv * n + j], A[c * n + j]];
    for (let j = 0; j < k; j++) [X[c * k + j], X[piv * k + j]] = [X[piv * k + j], X[c * k + j]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r * n + c] / A[c * n + c];
      for (let j = 0; j < n; j++) A[r * n + j] -= f * A[c * n + j];
      for (let j = 0; j < k; j++) X[r * k + j] -= f * X[c * k + j];
    }
  }
  for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) X[r * k + j] /= A[r * n + r];
  return X;
}

function matmul(n: number, A: Float64Array, B: Float64Array, transposeB = false): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k] * (transposeB ? B[j * n + k] : B[k * n + j]);
      C[i * n + j] = s;
    }
  return C;
}

/** Filter means (smooth = false) or RTS-smoothed means of one sequence, in float64. */
function kalmanReference(
  T: number,
  n: number,
  a: Float32Array,
  b: Float32Array,
  y: Float32Array,
  s0: Float32Array,
  q: number,
  r: number,
  smooth: boolean,
): Float64Array {
  const nn = n * n;
  const means = new Float64Array(T * n);
  const covs: Float64Array[] = [];
  const preds: Float64Array[] = [];
  let m = Float64Array.from(s0);
  let P = new Float64Array(nn);
  for (let t = 0; t < T; t++) {
    const A = Float64Array.from(a.subarray(t * nn, (t + 1) * nn));
    const mp = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = b[t * n + i];
      for (let j = 0; j < n; j++) s += A[i * n + j] * m[j];
      mp[i] = s;
    }
    const Pp = matmul(n, matmul(n, A, P), A, true);
    for (let i = 0; i < n; i++) Pp[i * n + i] += q;
    const S = Float64Array.from(Pp);
    for (let i = 0; i < n; i++) S[i * n + i] += r;
    // K = Pp S⁻¹ = (S⁻¹ Pp)ᵀ since both are symmetric.
    const X = solve(n, S, Pp, n);
    const m2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = mp[i];
      for (let j = 0; j < n; j++) s += X[j * n + i] * (y[t * n + j] - mp[j]);
      m2[i] = s;
    }
    const P2 = new Float64Array(nn);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = Pp[i * n + j];
        for (let k = 0; k < n; k++) s -= X[k * n + i] * Pp[k * n + j];
        P2[i * n + j] = s;
      }
    m = m2;
    P = P2;
    means.set(m, t * n);
    covs.push(P);
    preds.push(Pp);
  }
  if (!smooth) return means;
  const out = Float64Array.from(means);
  for (let t = T - 2; t >= 0; t--) {
    const A1 = Float64Array.from(a.subarray((t + 1) * nn, (t + 2) * nn));
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = b[(t + 1) * n + i];
      for (let j = 0; j < n; j++) s += A1[i * n + j] * means[t * n + j];
      v[i] = out[(t + 1) * n + i] - s;
    }
    // G v = P_t A1ᵀ Pp⁻¹ v
    const w = solve(n, preds[t + 1], v, 1);
    for (let i = 0; i < n; i++) {
      let s = means[t * n + i];
      for (let j = 0; j < n; j++) {
        let g = 0;
        for (let k = 0; k < n; k++) g += covs[t][i * n + k] * A1[j * n + k];
        s += g * w[j];
      }
      out[t * n + i] = s;
    }
  }
  return out;
}

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const base = await testBackend();
const reason = typeof base === 'string' ? ` (skipped: ${base})` : '';
/** The dense Kalman scan is opt-in: a backend on the same adapter with it enabled. */
const gpu =
  typeof base === 'string'
    ? base
    : await createWebGpuBackend({
        ...(process.env.ANTLER_WEBGPU_NATIVE
          ? {}
          : { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' as const }),
        denseKalman: true,
      });

describe.skipIf(typeof gpu === 'string')(`dense Kalman scan on the GPU vs float64${reason}`, () => {
  it('filter and smoother, n ∈ {4, 8}, T = 150, batch 2, with s0 and strided output', async () => {
    const backend = gpu as WebGpuBackend;
    for (const [n, q, r] of [
      [4, 1, 0.5],
      [8, 0.5, 20],
    ] as const) {
      const B = 2;
      const T = 150;
      const rand = lcg(n * 31);
      const a = Float32Array.from({ length: B * T * n * n }, () => ((2 * rand() - 1) * 1.1) / Math.sqrt(n));
      const b = Float32Array.from({ length: B * T * n }, () => 2 * rand() - 1);
      const y = Float32Array.from({ length: B * T * n }, () => 4 * rand() - 2);
      const s0 = Float32Array.from({ length: B * n }, () => 2 * rand() - 1);
      for (const smooth of [false, true]) {
        // Output rows padded by 2 floats: padding must stay untouched.
        const ts = n + 2;
        const out = new Float32Array(B * T * ts).fill(Number.NaN);
        const rep = await backend.kalmanScan?.({
          structure: 'dense',
          batch: B,
          length: T,
          size: n,
          a: { data: a },
          b: { data: b },
          y: { data: y },
          s0: { data: s0 },
          processVariance: q,
          observationVariance: r,
          smooth,
          out: { data: out, timeStride: ts },
        });
        expect(rep?.finite).toBe(true);
        let err = 0;
        for (let k = 0; k < B; k++) {
          const ref = kalmanReference(
            T,
            n,
            a.subarray(k * T * n * n, (k + 1) * T * n * n),
            b.subarray(k * T * n, (k + 1) * T * n),
            y.subarray(k * T * n, (k + 1) * T * n),
            s0.subarray(k * n, (k + 1) * n),
            q,
            r,
            smooth,
          );
          for (let t = 0; t < T; t++) {
            for (let i = 0; i < n; i++) {
              const x = out[(k * T + t) * ts + i];
              err = Math.max(err, Math.abs(x - ref[t * n + i]) / (1 + Math.abs(ref[t * n + i])));
            }
            expect(Number.isNaN(out[(k * T + t) * ts + n])).toBe(true);
          }
        }
        expect(err, `n=${n} smooth=${smooth}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});

if (typeof gpu !== 'string') {
  // The shared conformance suite again, now with the dense Kalman scan offered (its least-squares check).
  describeScanBackend('webgpu + denseKalman (llvmpipe)', () => gpu, {
    tolerance: { float32: 1e-4 },
    numRuns: 6,
    longLength: 0,
  });
}

describe.skipIf(typeof base === 'string')(`dense Kalman is opt-in${reason}`, () => {
  it('without denseKalman the capabilities list only diagonal and a dense call is a ShapeError', async () => {
    const b = base as WebGpuBackend;
    expect(b.capabilities.float32?.kalman).toEqual(['diagonal']);
    expect((gpu as WebGpuBackend).capabilities.float32?.kalman).toEqual(['diagonal', 'dense']);
    const z = new Float32Array(4);
    await expect(
      b.kalmanScan?.({
        structure: 'dense',
        batch: 1,
        length: 1,
        size: 2,
        a: { data: z },
        b: { data: z },
        y: { data: z },
        processVariance: 1,
        observationVariance: 1,
        smooth: true,
        out: { data: new Float32Array(2) },
      }),
    ).rejects.toThrow(/^structure: .*denseKalman/);
  });
});

describe('checkDenseKalman (pure)', () => {
  const limits = {
    maxComputeWorkgroupStorageSize: 16384,
    maxComputeInvocationsPerWorkgroup: 256,
    maxStorageBufferBindingSize: 2 ** 27,
    maxBufferSize: 2 ** 28,
  };
  it('accepts what fits and names size or length otherwise', () => {
    expect(() => checkDenseKalman(limits, 16, 10_000, 8, true)).not.toThrow();
    // 4·(4·32² + 5·32) = 17,024 bytes of workgroup memory > 16 KiB.
    expect(() => checkDenseKalman(limits, 1, 10, 32, false)).toThrow(/^size: /);
    expect(() => checkDenseKalman(limits, 1, 10, 32, false)).toThrow(ShapeError);
    // 16 · 1e5 · 64 · 4 bytes > 128 MiB.
    expect(() => checkDenseKalman(limits, 16, 100_000, 8, true)).toThrow(/^length: /);
  });
});
