/**
 * Would a banded affine scan pay off for PDE time steps? Measures (1) how the band of composed step
 * Jacobians grows, (2) that implicit-step Jacobians are dense, (3) the time of a dense scan against a
 * banded sequential scan and the flop count of a banded parallel (Blelloch) scan. Prints the numbers
 * quoted in the zoo README; asserts only the structural facts (never timings).
 */
import { createCpuBackend, createSequentialBackend } from '@antler/scan';
import { describe, expect, it } from 'vitest';
import { createTimeStepCell, grid1d, heatEquation } from '../src/index.js';

const none = new Float64Array(0);

function halfBandwidth(n: number, m: Float64Array): number {
  let p = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (m[i * n + j] !== 0) p = Math.max(p, Math.abs(i - j));
  return p;
}

function matmul(n: number, a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const v = a[i * n + k];
      if (v !== 0) for (let j = 0; j < n; j++) out[i * n + j] += v * b[k * n + j];
    }
  return out;
}

describe('banded scans for PDE steps: measurement', () => {
  const n = 64;
  const sys = heatEquation(grid1d(n, 1, { kind: 'dirichlet' }), 0.1);
  const u = new Float64Array(n).fill(0.5);

  it('composing k explicit (tridiagonal) step Jacobians gives half-bandwidth min(k, n−1)', () => {
    const cell = createTimeStepCell(sys, { scheme: 'euler', dt: 1e-4 });
    const a = new Float64Array(n * n);
    cell.denseJacobian(u, 0, none, 0, new Float64Array(n), 0, a, 0);
    expect(halfBandwidth(n, a)).toBe(1);
    let prod: Float64Array = a;
    const rows: string[] = [];
    for (let k = 2; k <= n; k++) {
      prod = matmul(n, a, prod);
      expect(halfBandwidth(n, prod)).toBe(Math.min(k, n - 1));
      if ((k & (k - 1)) === 0) rows.push(`k = ${k}: half-bandwidth ${halfBandwidth(n, prod)}`);
    }
    console.log(`band growth of products of k Euler-heat Jacobians (n = ${n}):\n  ${rows.join('\n  ')}`);
  });

  it('implicit-step Jacobians are already dense (inverse of a banded matrix)', () => {
    for (const scheme of ['backward-euler', 'crank-nicolson'] as const) {
      const cell = createTimeStepCell(sys, { scheme, dt: 1e-3 });
      const a = new Float64Array(n * n);
      cell.denseJacobian(u, 0, none, 0, new Float64Array(n), 0, a, 0);
      let nonzero = 0;
      for (const v of a) if (v !== 0) nonzero++;
      // (I − θΔt L)⁻¹ of a Dirichlet Laplacian is entrywise positive.
      expect(nonzero).toBe(n * n);
    }
  });

  it('prints dense-scan vs banded-scan cost (T = 512, n = 64, p = 1)', () => {
    const T = 512;
    const p = 1;
    const cell = createTimeStepCell(sys, { scheme: 'euler', dt: 1e-4 });
    const a = new Float64Array(T * n * n);
    const b = new Float64Array(T * n).fill(1e-3);
    for (let t = 0; t < T; t++) cell.denseJacobian(u, 0, none, 0, new Float64Array(n), 0, a, t * n * n);
    const out = new Float64Array(T * n);
    const time = (f: () => void, repeats = 3) => {
      f();
      const s = performance.now();
      for (let r = 0; r < repeats; r++) f();
      return (performance.now() - s) / repeats;
    };
    const args = {
      structure: 'dense' as const,
      batch: 1,
      length: T,
      size: n,
      a: { data: a },
      b: { data: b },
      out: { data: out },
    };
    const seqDense = time(() => createSequentialBackend().affineScan(args));
    const blelloch = createCpuBackend({ algorithm: 'blelloch' });
    const parDense = time(() => blelloch.affineScan(args), 1);
    const parOut = Float64Array.from(out);
    // Banded sequential scan written here: s_t = A_t s_{t−1} + b_t touching only |i − j| ≤ p.
    const band = new Float64Array(T * n * (2 * p + 1));
    for (let t = 0; t < T; t++)
      for (let i = 0; i < n; i++)
        for (let d = -p; d <= p; d++)
          if (i + d >= 0 && i + d < n) band[(t * n + i) * (2 * p + 1) + d + p] = a[t * n * n + i * n + i + d];
    const bandOut = new Float64Array(T * n);
    const seqBand = time(() => {
      let prevOff = -1;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < n; i++) {
          let s = b[t * n + i];
          if (prevOff >= 0)
            for (let d = -p; d <= p; d++) {
              const j = i + d;
              if (j >= 0 && j < n) s += band[(t * n + i) * (2 * p + 1) + d + p] * bandOut[prevOff + j];
            }
          bandOut[t * n + i] = s;
        }
        prevOff = t * n;
      }
    });
    let diff = 0;
    for (let i = 0; i < T * n; i++) diff = Math.max(diff, Math.abs(bandOut[i] - parOut[i]));
    expect(diff).toBeLessThan(1e-12);
    // Flops of a Blelloch scan: ~2T combines; a combine at span 2^ℓ costs n³ dense, n·(2^ℓ p)² banded until full.
    let denseFlops = 0;
    let bandFlops = 0;
    for (let span = 1; span < T; span *= 2) {
      const combines = 2 * (T / (2 * span));
      denseFlops += combines * 2 * n ** 3;
      const w = Math.min(2 * span * p + 1, n);
      bandFlops += combines * 2 * n * w * w;
    }
    console.log(
      [
        `dense vs banded affine scans, Euler heat step, T = ${T}, n = ${n}, half-bandwidth ${p}:`,
        `  sequential dense scan  ${seqDense.toFixed(2)} ms`,
        `  sequential banded scan ${seqBand.toFixed(2)} ms (${(seqDense / seqBand).toFixed(1)}× faster)`,
        `  Blelloch dense scan    ${parDense.toFixed(2)} ms`,
        `  Blelloch flops: dense ${denseFlops.toExponential(2)}, banded (band grows 2^ℓ·p per level) ${bandFlops.toExponential(2)} (${(denseFlops / bandFlops).toFixed(1)}× fewer)`,
      ].join('\n'),
    );
  });
});
