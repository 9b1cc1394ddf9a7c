/** Non-finite values are reported or propagated, never silently replaced. */
import { NonFiniteError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { CELL_KINDS, cellFromWeights, randomCell } from '../src/factory.js';
import { encodeSafetensors, decodeSafetensors } from '../src/io/safetensors.js';

describe('non-finite values', () => {
  it('a NaN or Infinity weight is rejected with NonFiniteError naming the tensor and index', () => {
    const cell = randomCell('gru', { hiddenSize: 2, inputSize: 1, seed: 0 });
    const tensors = {
      ...cell.parameters,
      weight_hh_l0: { shape: [6, 2], data: cell.parameters.weight_hh_l0.data.slice() },
    };
    tensors.weight_hh_l0.data[5] = Number.POSITIVE_INFINITY;
    const weights = decodeSafetensors(encodeSafetensors(tensors)).tensors;
    const err = (() => {
      try {
        cellFromWeights('gru', weights);
      } catch (e) {
        return e;
      }
    })() as NonFiniteError;
    expect(err).toBeInstanceOf(NonFiniteError);
    expect(err.argument).toBe('weights.weight_hh_l0');
    expect(err.index).toBe(5);
  });
  for (const kind of CELL_KINDS) {
    it(`${kind}: a NaN state gives NaN outputs and NaN Jacobian entries where they depend on it`, () => {
      const cell = randomCell(
        kind,
        { hiddenSize: kind === 'lorenz96' ? 5 : 3, inputSize: 2, seed: 1 },
        { nonlinearity: 'relu', size: 5 },
      );
      const n = cell.stateSize;
      const h = new Float64Array(n).fill(0.1);
      h[0] = Number.NaN;
      const x = new Float64Array(cell.inputSize).fill(0.2);
      const out = new Float64Array(n);
      cell.step(h, 0, x, 0, out, 0);
      expect(Number.isNaN(out[0])).toBe(true);
      if (cell.diagonalJacobian) {
        const d = new Float64Array(n);
        cell.diagonalJacobian(h, 0, x, 0, out, 0, d, 0);
        expect(Number.isNaN(out[0])).toBe(true);
        // minGRU/minLSTM's Jacobian does not depend on h at all: it stays finite, correctly.
        if (!cell.config.linearInState) expect(Number.isNaN(d[0])).toBe(true);
      }
    });
  }
});
