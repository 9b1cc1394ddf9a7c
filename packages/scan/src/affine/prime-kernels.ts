/**
 * Type-feedback priming of the affine kernels. V8 collects type feedback only after a function has run
 * a few times, and a long scan is compiled mid-loop (on-stack replacement) during its very first call,
 * before the code after the hot loop has ever run: that compiled loop then bails out at the loop's exit
 * on every later call, and the function keeps running the slower on-stack-replacement code (measured:
 * 1.2 ms instead of 0.85 ms for a 10⁶-step diagonal scan, at random from one process to the next).
 * Running every kernel path a few times on tiny arrays of the kernel's dtype first gives all of it
 * feedback, so the first long call compiles the whole function once and for good.
 * {@link primeAffineKernels} is self-contained: the worker threads run it on their own kernel copies.
 */
import type { AffineKernels } from '../threads/affine-task.js';

/** Runs each kernel path of `kernels` on tiny arrays of the given dtype (about 0.1 ms in all). */
export function primeAffineKernels(kernels: AffineKernels, float32: boolean): void {
  // (No helper closures: this source text also runs in the workers.)
  const T = 11;
  const work = new Float64Array(160);
  const m = new Float64Array(160);
  const c = new Float64Array(16);
  const carry64 = new Float64Array(8).fill(0.25);
  const carryOwn = float32 ? new Float32Array(8).fill(0.25) : new Float64Array(8).fill(0.25);
  // Three rounds: V8 allocates a function's feedback vector after its first few calls.
  for (let round = 0; round < 3; round++) {
    for (const n of [1, 2, 3, 4, 8]) {
      const len = 2 * T * n * n;
      const a = float32 ? new Float32Array(len) : new Float64Array(len);
      const b = float32 ? new Float32Array(len) : new Float64Array(len);
      const out = float32 ? new Float32Array(len) : new Float64Array(len);
      for (let i = 0; i < len; i++) {
        a[i] = 0.5 - 0.01 * (i % 7);
        b[i] = 0.1 * (i % 5);
      }
      for (const reverse of [false, true]) {
        for (const s0 of [null, carry64, carryOwn]) {
          kernels.diagonal(
            T,
            n,
            { data: a, offset: 0, stride: n },
            { data: b, offset: 0, stride: n },
            s0,
            0,
            { data: out, offset: 0, stride: n },
            reverse,
          );
          kernels.dense(
            T,
            n,
            { data: a, offset: 0, stride: n * n },
            { data: b, offset: 0, stride: n },
            s0,
            0,
            { data: out, offset: 0, stride: n },
            reverse,
            reverse,
            work,
          );
          if (n % 2 === 0)
            kernels.block(
              T,
              n,
              2,
              { data: a, offset: 0, stride: 2 * n },
              { data: b, offset: 0, stride: n },
              s0,
              0,
              { data: out, offset: 0, stride: n },
              reverse,
              reverse,
              work,
            );
        }
        // Strided steps (every other step).
        kernels.diagonal(
          T,
          n,
          { data: a, offset: 0, stride: 2 * n },
          { data: b, offset: 0, stride: 2 * n },
          null,
          0,
          { data: out, offset: 0, stride: 2 * n },
          reverse,
        );
        for (let structure = 0; structure < 3; structure++) {
          if (structure === 2 && n % 2 !== 0) continue;
          const step = structure === 0 ? n : structure === 1 ? n * n : 2 * n;
          for (let stride = 1; stride <= 2; stride++) {
            kernels.aggregate(
              structure,
              T,
              n,
              2,
              { data: a, offset: 0, stride: stride * step },
              { data: b, offset: 0, stride: stride * n },
              reverse,
              reverse,
              m,
              0,
              c,
              0,
              work,
            );
          }
          kernels.apply(structure, n, 2, m, 0, c, 0, carry64, 0, work);
        }
      }
    }
  }
}
