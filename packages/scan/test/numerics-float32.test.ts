/**
 * The documented float32 error bound of the README's numerics section: for operators with spectral
 * norm ρ ≤ 1, every algorithm's float32 dense scan stays within u·(4 + √T / 2) (u = 2⁻²⁴) of the float64
 * scan of the same rounded inputs, relative to max(1, max |s|).
 */
import { describe, expect, it } from 'vitest';
import { float32Errors } from '../../../benchmarks/scan/float32-error.js';

const u = 2 ** -24;

describe('float32 error growth of the dense scan (README bound)', () => {
  for (const rho of [0.9, 0.99, 1])
    for (const T of [1, 2, 100, 2000]) {
      it(`n = 8, ρ = ${rho}, T = ${T}: every algorithm within u·(4 + √T/2)`, () => {
        const errors = float32Errors(8, T, rho, 7);
        for (const [algorithm, e] of Object.entries(errors)) {
          expect(e, algorithm).toBeLessThanOrEqual(u * (4 + Math.sqrt(T) / 2));
        }
      });
    }
});
