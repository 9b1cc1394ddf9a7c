/** Float32 storage for every kind: compute in double, round once on store. */
import { describe, expect, it } from 'vitest';
import { CELL_KINDS, randomCell } from '../src/factory.js';
import { randn } from './helpers.js';

describe('float32 storage', () => {
  for (const kind of CELL_KINDS) {
    it(`${kind}: step, dense, diagonal and block Jacobians into Float32Array equal the rounded float64 results`, () => {
      const cell = randomCell(
        kind,
        { hiddenSize: kind === 'lorenz96' ? 6 : 3, inputSize: 2, seed: 1 },
        { size: 6 },
      );
      const n = cell.stateSize;
      const m = cell.inputSize;
      // Inputs representable in float32, so both runs see the same numbers.
      const h64 = Float64Array.from(Float32Array.from(randn(n, 2)));
      const x64 = Float64Array.from(Float32Array.from(randn(m, 3)));
      const h32 = Float32Array.from(h64);
      const x32 = Float32Array.from(x64);
      const f64 = new Float64Array(n);
      const f32 = new Float32Array(n);
      cell.step(h64, 0, x64, 0, f64, 0);
      cell.step(h32, 0, x32, 0, f32, 0);
      expect(Array.from(f32)).toEqual(Array.from(f64, Math.fround));
      const pairs: [string, number][] = [
        ['denseJacobian', n * n],
        ['diagonalJacobian', n],
        ['blockJacobian', n * (cell.blockSize ?? 1)],
      ];
      for (const [name, size] of pairs) {
        const fn = cell[name as 'denseJacobian'];
        if (!fn) continue;
        const j64 = new Float64Array(size);
        const j32 = new Float32Array(size);
        fn.call(cell, h64, 0, x64, 0, f64, 0, j64, 0);
        fn.call(cell, h32, 0, x32, 0, f32, 0, j32, 0);
        expect(Array.from(j32), name).toEqual(Array.from(j64, Math.fround));
        expect(Array.from(f32), name).toEqual(Array.from(f64, Math.fround));
      }
    });
  }
});
