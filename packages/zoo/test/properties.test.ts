/** Property tests over random kinds, sizes (H = 1 and m = 0 included), seeds and weight scales. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { CELL_KINDS, randomCell } from '../src/factory.js';
import { expectDerivativesMatchFiniteDifferences, randn } from './helpers.js';

describe('derivatives of random cells (property)', () => {
  it('every analytic Jacobian and VJP matches finite differences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CELL_KINDS),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        (kind, H, m, seed, scale) => {
          const cell = randomCell(
            kind,
            { hiddenSize: kind === 'lorenz96' ? H + 3 : H, inputSize: m, seed, scale },
            { size: H + 3 },
          );
          const h = randn(cell.stateSize, seed + 1);
          const x = randn(cell.inputSize, seed + 2);
          // Relative FD accuracy degrades where entries nearly cancel; 1e-6 keeps this a real check.
          expectDerivativesMatchFiniteDifferences(cell, h, x, 1e-6);
        },
      ),
      { numRuns: 80, seed: 20261122 },
    );
  });
});
