import { describe, expect, it } from 'vitest';
import {
  allocate,
  BackendUnavailableError,
  checkDType,
  checkFinite,
  checkInteger,
  checkLength,
  checkView,
  ConvergenceError,
  DTypeError,
  dtypeOf,
  firstNonFinite,
  NonFiniteError,
  operatorStepSize,
  ShapeError,
  supportsAffine,
  type ScanBackend,
} from '../src/index.js';

describe('dtypes', () => {
  it('allocates the right typed array and rejects unknown dtypes with DTypeError naming the argument', () => {
    expect(allocate('float64', 3)).toBeInstanceOf(Float64Array);
    expect(allocate('float32', 3)).toBeInstanceOf(Float32Array);
    expect(() => allocate('float16' as never, 3)).toThrow(DTypeError);
    expect(() => checkDType('int32', 'options.dtype')).toThrow(
      /options\.dtype: expected 'float64' or 'float32', got "int32"/,
    );
    expect(dtypeOf(new Float32Array(1))).toBe('float32');
    expect(() => dtypeOf(new Int32Array(2), 'inputs')).toThrow(
      /inputs: expected Float64Array or Float32Array, got Int32Array\(2\)/,
    );
  });
});

describe('shape validation', () => {
  it('accepts exact lengths and names argument and expected shape on mismatch', () => {
    expect(checkLength('h0', new Float64Array(6), [2, 3], ['B', 'n'])).toHaveLength(6);
    let err: unknown;
    try {
      checkLength('inputs', new Float64Array(29), [2, 5, 3], ['B', 'T', 'm']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as ShapeError).argument).toBe('inputs');
    expect((err as ShapeError).message).toBe(
      'inputs: expected shape [B=2][T=5][m=3] (30 elements), got length 29',
    );
  });

  it('rejects non-typed arrays and non-integer sizes', () => {
    expect(() => checkLength('b', [1, 2, 3], [3])).toThrow(
      /b: expected a Float64Array or Float32Array of shape \[3\]/,
    );
    expect(() => checkInteger(2.5, 'batch')).toThrow(/batch: expected an integer ≥ 1, got number 2.5/);
    expect(() => checkInteger(0, 'length')).toThrow(ShapeError);
    expect(checkInteger(0, 'offset', 0)).toBe(0);
  });

  it('checks strided views against their array bounds', () => {
    const data = new Float64Array(2 * 4 * 3);
    const v = checkView('a', { data }, { batch: 2, length: 4 }, 3);
    expect(v).toEqual({ data, offset: 0, batchStride: 12, timeStride: 3 });
    // A view of every other time step of a longer buffer fits.
    expect(
      checkView('a', { data, timeStride: 6, batchStride: 12 }, { batch: 2, length: 2 }, 3).timeStride,
    ).toBe(6);
    // One element short.
    expect(() => checkView('b', { data, offset: 1 }, { batch: 2, length: 4 }, 3)).toThrow(
      /b: expected shape .*needs 25 elements.*got length 24/,
    );
    expect(() => checkView('b', { data, timeStride: -1 }, { batch: 1, length: 2 }, 3)).toThrow(
      /b\.timeStride/,
    );
    expect(() => checkView('s0', null, { batch: 1, length: 1 }, 3)).toThrow(ShapeError);
  });

  it('computes operator step sizes per structure', () => {
    expect(operatorStepSize('dense', 5)).toBe(25);
    expect(operatorStepSize('diagonal', 5)).toBe(5);
    expect(operatorStepSize('block', 6, 2)).toBe(12);
  });
});

describe('non-finite detection', () => {
  it('finds NaN and infinities and reports the first index', () => {
    expect(firstNonFinite(new Float64Array([1, 2, 3]))).toBe(-1);
    expect(firstNonFinite(new Float64Array([1, Number.NaN, Number.POSITIVE_INFINITY]))).toBe(1);
    expect(firstNonFinite(new Float32Array([0, 0, Number.NEGATIVE_INFINITY]))).toBe(2);
    expect(() => checkFinite('x', new Float64Array([0, 1e308 * 10]))).toThrow(NonFiniteError);
    expect(() => checkFinite('x', new Float64Array([0, Number.NaN]))).toThrow(
      /x: non-finite value NaN at flat index 1/,
    );
  });
});

describe('errors and capabilities', () => {
  it('carries stable codes and payloads', () => {
    const e = new ConvergenceError('no', { iterations: 3 });
    expect(e.code).toBe('CONVERGENCE');
    expect(e.result.iterations).toBe(3);
    expect(e.name).toBe('ConvergenceError');
    expect(new BackendUnavailableError('webgpu', 'no adapter').message).toBe(
      'backend webgpu is unavailable: no adapter',
    );
  });

  it('reads capability flags per dtype and structure', () => {
    const b: ScanBackend = {
      name: 't',
      synchronous: true,
      capabilities: {
        float32: { affine: ['diagonal', 'block'], blockSizes: [2], reverse: true, kalman: [] },
      },
      affineScan: () => ({ finite: true }),
    };
    expect(supportsAffine(b, 'float32', 'diagonal')).toBe(true);
    expect(supportsAffine(b, 'float64', 'diagonal')).toBe(false);
    expect(supportsAffine(b, 'float32', 'block', 2)).toBe(true);
    expect(supportsAffine(b, 'float32', 'block', 3)).toBe(false);
    expect(supportsAffine(b, 'float32', 'dense')).toBe(false);
  });
});
