/**
 * One copy of the affine kernels per dtype. V8 optimises a function for the array types it has seen: a
 * kernel that has run on both Float64Array and Float32Array becomes polymorphic and measurably slower
 * (float64 diagonal scans ran 1.6× slower after one float32 call). Each dtype therefore gets its own
 * copy, compiled from the same source text — the technique the worker threads use — or, where code
 * cannot be compiled at run time (a strict Content-Security-Policy), the shared functions.
 */
import type { DType } from '@antler/core';
import type { AffineKernels } from '../threads/affine-task.js';
import { affineChunkAggregate, applyChunkAggregate } from './aggregate.js';
import { primeAffineKernels } from './prime-kernels.js';
import { blockScanSequential, denseScanSequential, diagonalScanSequential } from './sequential.js';

const SHARED: AffineKernels = {
  diagonal: diagonalScanSequential,
  dense: denseScanSequential,
  block: blockScanSequential,
  aggregate: affineChunkAggregate,
  apply: applyChunkAggregate,
};

/** A fresh copy of a self-contained function, or the function itself when run-time compilation is refused. */
function copyOf<F>(fn: F): F {
  try {
    // `__name`: tools that keep function names (esbuild keepNames) insert calls to it into the text.
    return new Function(`'use strict'; const __name = (f) => f; return (${String(fn)});`)() as F;
  } catch {
    return fn;
  }
}

let copies: Record<DType, AffineKernels> | undefined;
const primed = new WeakSet<AffineKernels>();

/** The affine kernels to use for arrays of `dtype` (one monomorphic copy per dtype). */
export function affineKernelsFor(dtype: DType): AffineKernels {
  copies ??= {
    float64: {
      diagonal: copyOf(SHARED.diagonal),
      dense: copyOf(SHARED.dense),
      block: copyOf(SHARED.block),
      aggregate: copyOf(SHARED.aggregate),
      apply: copyOf(SHARED.apply),
    },
    float32: {
      diagonal: copyOf(SHARED.diagonal),
      dense: copyOf(SHARED.dense),
      block: copyOf(SHARED.block),
      aggregate: copyOf(SHARED.aggregate),
      apply: copyOf(SHARED.apply),
    },
  };
  const kernels = copies[dtype];
  if (!primed.has(kernels)) {
    // Before the first long call (see prime-kernels.ts).
    primed.add(kernels);
    primeAffineKernels(kernels, dtype === 'float32');
  }
  return kernels;
}
