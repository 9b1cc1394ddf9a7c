/**
 * Float32 error growth of the dense affine scan per algorithm (composition order), against a float64
 * scan of the same float32-rounded inputs. Run from the repository root:
 *   npx tsx benchmarks/scan/float32-error.ts
 * Prints a Markdown table: max over t of |s_t − s*_t| / max(1, max |s*|), for random operators
 * A_t = ρ·Q_t (Q_t random orthogonal, so ρ is the exact spectral norm) and offsets b_t ~ U(−1, 1).
 */
import {
  affineScanBlelloch,
  affineScanChunked,
  affineScanSequential,
} from '../../packages/scan/src/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ρ times a random orthogonal n×n matrix (Gram–Schmidt of a random matrix), row-major into dst. */
function scaledOrthogonal(n: number, rho: number, rand: () => number, dst: Float64Array, off: number): void {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) q[i] = rand() - 0.5;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < n; k++) d += q[i * n + k] * q[j * n + k];
      for (let k = 0; k < n; k++) q[i * n + k] -= d * q[j * n + k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) {
      q[i * n + k] /= norm;
      dst[off + i * n + k] = rho * q[i * n + k];
    }
  }
}

/** Max error of each algorithm's float32 dense scan against the float64 scan of the same inputs. */
export function float32Errors(n: number, T: number, rho: number, seed = 1): Record<string, number> {
  const rand = rng(seed);
  const a64 = new Float64Array(T * n * n);
  for (let t = 0; t < T; t++) scaledOrthogonal(n, rho, rand, a64, t * n * n);
  const b64 = new Float64Array(T * n);
  for (let i = 0; i < b64.length; i++) b64[i] = 2 * rand() - 1;
  const a32 = Float32Array.from(a64);
  const b32 = Float32Array.from(b64);
  const ref = new Float64Array(T * n);
  const base = { structure: 'dense' as const, batch: 1, length: T, size: n };
  affineScanSequential({
    ...base,
    a: { data: Float64Array.from(a32) },
    b: { data: Float64Array.from(b32) },
    out: { data: ref },
  });
  let scale = 1;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  const err = (x: Float32Array) => {
    let e = 0;
    for (let i = 0; i < x.length; i++) e = Math.max(e, Math.abs(x[i] - ref[i]));
    return e / scale;
  };
  const run = (f: (out: Float32Array) => void) => {
    const out = new Float32Array(T * n);
    f(out);
    return err(out);
  };
  const args = (out: Float32Array) => ({ ...base, a: { data: a32 }, b: { data: b32 }, out: { data: out } });
  return {
    sequential: run((out) => affineScanSequential(args(out))),
    chunked: run((out) => affineScanChunked(args(out))),
    blelloch: run((out) => affineScanBlelloch(args(out))),
  };
}

const isMain = process.argv[1]?.endsWith('float32-error.ts');
if (isMain) {
  console.log('| n | ρ | T | sequential | chunked (√T) | blelloch |');
  console.log('|---|---|---|---|---|---|');
  for (const n of [8, 32])
    for (const rho of [0.9, 0.99, 1])
      for (const T of [100, 1000, 10000, n === 32 ? 0 : 100000]) {
        if (T === 0) continue;
        const e = float32Errors(n, T, rho);
        const f = (x: number) => x.toExponential(1);
        console.log(`| ${n} | ${rho} | ${T} | ${f(e.sequential)} | ${f(e.chunked)} | ${f(e.blelloch)} |`);
      }
}
