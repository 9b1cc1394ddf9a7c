/**
 * The backend-independent conformance suite of the ScanBackend contract. Every CPU backend runs it
 * (`backends.test.ts`); GPU backends import this file by relative path and run the same suite:
 *
 * ```ts
 * import { describeScanBackend } from '../../scan/test/backend-conformance.js';
 * describeScanBackend('webgpu', () => createWebGpuBackend(), { tolerance: { float32: 1e-4 } });
 * ```
 *
 * Backends may be asynchronous; what a backend's capabilities do not list is skipped (the test title
 * says why). Results are compared with an independent float64 loop in `helpers/reference.ts` run on the
 * inputs as rounded to the storage dtype; the error is max |x − ref| / max(1, |ref|).
 */
import {
  type DType,
  DTypeError,
  type KalmanScanArgs,
  type ScanBackend,
  type ScanReport,
  ShapeError,
  type Structure,
  supportsAffine,
  supportsKalman,
} from '@antler/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { diagonalToDense, filterMeansByLeastSquares, leastSquaresMeans } from './helpers/least-squares.js';
import { rng, uniform } from './helpers/random.js';
import { referenceAffineScan } from './helpers/reference.js';
import { fromView, maxRelError, type Padding, roundTo, toView } from './helpers/views.js';

/** Options of {@link describeScanBackend}. */
export interface ConformanceOptions {
  /** Largest allowed error per dtype (defaults: float64 1e-12, float32 2e-5 — see the README's numerics section). */
  readonly tolerance?: Partial<Record<DType, number>>;
  /** Property-test runs per (structure, dtype) (default 25). */
  readonly numRuns?: number;
  /** Longest sequence in property tests (default 67). */
  readonly maxLength?: number;
  /** Also run one long sequence per structure (length; default 5000, 0 to skip). */
  readonly longLength?: number;
}

const STRUCTURES: readonly Structure[] = ['diagonal', 'dense', 'block'];
const DTYPES: readonly DType[] = ['float64', 'float32'];

interface AffineCase {
  batch: number;
  length: number;
  blocks: number;
  blockSize: number;
  pad: Padding;
  reverse: boolean;
  transpose: boolean;
  withS0: boolean;
  inPlace: boolean;
  seed: number;
}

/** Runs one affine scan on `backend` and returns (output, reference, report). */
async function runAffineCase(backend: ScanBackend, structure: Structure, dtype: DType, c: AffineCase) {
  const rand = rng(c.seed);
  const k = structure === 'block' ? c.blockSize : 1;
  const n = structure === 'block' ? c.blocks * k : c.blocks;
  const B = c.batch;
  const T = c.length;
  const step = structure === 'dense' ? n * n : structure === 'diagonal' ? n : n * k;
  // Contractive operators (spectral radius well below 1) so that states stay O(1) at every length.
  const scale =
    structure === 'dense' ? 0.9 / Math.sqrt(n) : structure === 'block' ? 0.9 / Math.sqrt(k) : 0.99;
  const a = roundTo(dtype, uniform(rand, B * T * step, -scale, scale));
  const b = roundTo(dtype, uniform(rand, B * T * n));
  const s0 = c.withS0 ? roundTo(dtype, uniform(rand, B * n, -2, 2)) : null;
  const bView = toView(dtype, b, B, T, n, c.pad);
  const out = c.inPlace ? bView : toView(dtype, new Float64Array(B * T * n), B, T, n, c.pad);
  const report: ScanReport = await backend.affineScan({
    structure,
    blockSize: structure === 'block' ? k : undefined,
    batch: B,
    length: T,
    size: n,
    a: toView(dtype, a, B, T, step, c.pad),
    b: bView,
    s0: s0 ? toView(dtype, s0, B, 1, n, c.pad) : null,
    out,
    reverse: c.reverse,
    transpose: c.transpose,
  });
  const ref = referenceAffineScan(structure, k, B, T, n, a, b, s0, c.reverse, c.transpose);
  // Padding must be untouched (it holds NaN).
  const od = out.data;
  let padTouched = false;
  const ts = out.timeStride ?? n;
  const bs = out.batchStride ?? T * ts;
  for (let kb = 0; kb < B; kb++)
    for (let t = 0; t < T; t++)
      for (let i = n; i < ts; i++)
        if (!Number.isNaN(od[(out.offset ?? 0) + kb * bs + t * ts + i])) padTouched = true;
  return { x: fromView(out, B, T, n), ref, report, padTouched };
}

const padding = fc.constantFrom<Padding>(
  { offset: 0, time: 0, batch: 0 },
  { offset: 5, time: 3, batch: 7 },
  { offset: 1, time: 0, batch: 2 },
);

function caseArbitrary(structure: Structure, maxLength: number): fc.Arbitrary<AffineCase> {
  return fc.record({
    batch: fc.integer({ min: 1, max: 3 }),
    length: fc.oneof(fc.constantFrom(1, 2, 3, 7, 13, 31, 64), fc.integer({ min: 1, max: maxLength })),
    blocks: fc.integer({ min: 1, max: structure === 'diagonal' ? 9 : 5 }),
    blockSize: fc.integer({ min: 1, max: 3 }),
    pad: padding,
    reverse: fc.boolean(),
    transpose: fc.boolean(),
    withS0: fc.boolean(),
    inPlace: fc.boolean(),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  });
}

/**
 * Declares the conformance tests of one backend. `makeBackend` is called once; the backend is disposed
 * after the suite when it has `dispose`.
 */
export function describeScanBackend(
  name: string,
  makeBackend: () => ScanBackend | Promise<ScanBackend>,
  options: ConformanceOptions = {},
): void {
  const tol: Record<DType, number> = { float64: 1e-12, float32: 2e-5, ...options.tolerance };
  const numRuns = options.numRuns ?? 25;
  const maxLength = options.maxLength ?? 67;
  const longLength = options.longLength ?? 5000;
  let backendPromise: Promise<ScanBackend> | undefined;
  const get = () => {
    backendPromise ??= Promise.resolve(makeBackend());
    return backendPromise;
  };
  describe(`ScanBackend conformance: ${name}`, () => {
    afterAll(async () => {
      if (backendPromise) await (await backendPromise).dispose?.();
    });

    for (const dtype of DTYPES) {
      for (const structure of STRUCTURES) {
        const label = `${structure} ${dtype}`;
        it(`affine ${label}: forward/reverse, transpose, batch, strides, in place = float64 loop within ${tol[dtype]}`, async (ctx) => {
          const backend = await get();
          if (!supportsAffine(backend, dtype, structure, 2))
            return ctx.skip(`${name} does not support affine ${label}`);
          const caps = backend.capabilities[dtype];
          await fc.assert(
            fc.asyncProperty(caseArbitrary(structure, maxLength), async (c) => {
              if (structure === 'block' && !caps?.blockSizes.includes(c.blockSize)) return;
              if ((c.reverse || c.transpose) && !caps?.reverse) return;
              const { x, ref, report, padTouched } = await runAffineCase(backend, structure, dtype, c);
              expect(report.finite).toBe(true);
              expect(padTouched).toBe(false);
              expect(maxRelError(x, ref)).toBeLessThanOrEqual(tol[dtype]);
            }),
            { numRuns },
          );
        });

        it.runIf(longLength > 0)(`affine ${label}: one long sequence (T = ${longLength})`, async (ctx) => {
          const backend = await get();
          if (!supportsAffine(backend, dtype, structure, 2))
            return ctx.skip(`${name} does not support affine ${label}`);
          for (const reverse of backend.capabilities[dtype]?.reverse ? [false, true] : [false]) {
            const c: AffineCase = {
              batch: 1,
              length: longLength,
              blocks: structure === 'diagonal' ? 4 : 2,
              blockSize: 2,
              pad: { offset: 0, time: 0, batch: 0 },
              reverse,
              transpose: reverse,
              withS0: true,
              inPlace: false,
              seed: 99,
            };
            const { x, ref, report } = await runAffineCase(backend, structure, dtype, c);
            expect(report.finite).toBe(true);
            expect(maxRelError(x, ref)).toBeLessThanOrEqual(tol[dtype]);
          }
        });
      }

      it(`affine ${dtype}: non-finite values are reported, not hidden`, async (ctx) => {
        const backend = await get();
        if (!supportsAffine(backend, dtype, 'diagonal'))
          return ctx.skip(`${name} has no diagonal ${dtype} scan`);
        const arr = (v: number[]) => (dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v));
        const T = 6;
        const nanB = await backend.affineScan({
          structure: 'diagonal',
          batch: 1,
          length: T,
          size: 1,
          a: { data: arr([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]) },
          b: { data: arr([1, 1, Number.NaN, 1, 1, 1]) },
          out: { data: arr([0, 0, 0, 0, 0, 0]) },
        });
        expect(nanB.finite).toBe(false);
        const overflow = await backend.affineScan({
          structure: 'diagonal',
          batch: 1,
          length: T,
          size: 1,
          a: {
            data: arr([1e30, 1e30, 1e30, 1e30, 1e30, 1e30].map((v) => (dtype === 'float64' ? v ** 10 : v))),
          },
          b: { data: arr([1, 1, 1, 1, 1, 1]) },
          out: { data: arr([0, 0, 0, 0, 0, 0]) },
        });
        expect(overflow.finite).toBe(false);
      });

      it(`affine ${dtype}: bad arguments throw typed errors naming the argument`, async (ctx) => {
        const backend = await get();
        if (!supportsAffine(backend, dtype, 'dense')) return ctx.skip(`${name} has no dense ${dtype} scan`);
        const mk = (len: number) => (dtype === 'float64' ? new Float64Array(len) : new Float32Array(len));
        const other = (len: number) => (dtype === 'float64' ? new Float32Array(len) : new Float64Array(len));
        const base = {
          structure: 'dense' as const,
          batch: 2,
          length: 3,
          size: 2,
          a: { data: mk(24) },
          b: { data: mk(12) },
          out: { data: mk(12) },
        };
        const call = (extra: object) =>
          Promise.resolve().then(() => backend.affineScan({ ...base, ...extra }));
        await expect(call({ a: { data: mk(23) } })).rejects.toThrow(ShapeError);
        await expect(call({ a: { data: mk(23) } })).rejects.toThrow(/^a: /);
        await expect(call({ b: { data: mk(12), timeStride: 3 } })).rejects.toThrow(/^b: /);
        await expect(call({ out: { data: mk(12), offset: -1 } })).rejects.toThrow(/out\.offset/);
        await expect(call({ length: 0 })).rejects.toThrow(/length/);
        await expect(call({ s0: { data: mk(3) } })).rejects.toThrow(/^s0: /);
        await expect(call({ b: { data: other(12) } })).rejects.toThrow(DTypeError);
      });

      for (const structure of ['diagonal', 'dense'] as const) {
        it(`kalman ${structure} ${dtype}: smoother = least-squares minimiser, filter = truncated minimiser`, async (ctx) => {
          const backend = await get();
          if (!supportsKalman(backend, dtype, structure))
            return ctx.skip(`${name} does not support kalman ${structure} ${dtype}`);
          await fc.assert(
            fc.asyncProperty(
              fc.record({
                batch: fc.integer({ min: 1, max: 2 }),
                length: fc.integer({ min: 1, max: 12 }),
                size: fc.integer({ min: 1, max: 3 }),
                pad: padding,
                logR: fc.integer({ min: -2, max: 3 }),
                q: fc.constantFrom(0.5, 1, 2),
                withS0: fc.boolean(),
                seed: fc.integer({ min: 1, max: 2 ** 30 }),
              }),
              async (c) => {
                const rand = rng(c.seed);
                const { batch: B, length: T, size: n } = c;
                const step = structure === 'dense' ? n * n : n;
                const a = roundTo(
                  dtype,
                  uniform(rand, B * T * step, -1.1 / Math.sqrt(step / n), 1.1 / Math.sqrt(step / n)),
                );
                const b = roundTo(dtype, uniform(rand, B * T * n));
                const y = roundTo(dtype, uniform(rand, B * T * n, -2, 2));
                const s0 = c.withS0 ? roundTo(dtype, uniform(rand, B * n)) : null;
                const r = 10 ** c.logR;
                const args: Omit<KalmanScanArgs, 'smooth' | 'out'> = {
                  structure,
                  batch: B,
                  length: T,
                  size: n,
                  a: toView(dtype, a, B, T, step, c.pad),
                  b: toView(dtype, b, B, T, n, c.pad),
                  y: toView(dtype, y, B, T, n, c.pad),
                  s0: s0 ? toView(dtype, s0, B, 1, n, c.pad) : null,
                  processVariance: c.q,
                  observationVariance: r,
                };
                const outF = toView(dtype, new Float64Array(B * T * n), B, T, n, c.pad);
                const outS = toView(dtype, new Float64Array(B * T * n), B, T, n, c.pad);
                expect((await backend.kalmanScan?.({ ...args, smooth: false, out: outF }))?.finite).toBe(
                  true,
                );
                expect((await backend.kalmanScan?.({ ...args, smooth: true, out: outS }))?.finite).toBe(true);
                const refF = new Float64Array(B * T * n);
                const refS = new Float64Array(B * T * n);
                for (let kb = 0; kb < B; kb++) {
                  const ak = a.subarray(kb * T * step, (kb + 1) * T * step);
                  const p = {
                    length: T,
                    size: n,
                    a: structure === 'dense' ? ak : diagonalToDense(T, n, ak),
                    b: b.subarray(kb * T * n, (kb + 1) * T * n),
                    y: y.subarray(kb * T * n, (kb + 1) * T * n),
                    s0: s0 ? s0.subarray(kb * n, (kb + 1) * n) : null,
                    q: c.q,
                    r,
                  };
                  refS.set(leastSquaresMeans(p), kb * T * n);
                  refF.set(filterMeansByLeastSquares(p), kb * T * n);
                }
                // The normal equations lose ~cond digits; 1e-9 in float64 is far below any algorithmic error.
                const kt = dtype === 'float64' ? 1e-9 : Math.max(tol.float32, 1e-5);
                expect(maxRelError(fromView(outS, B, T, n), refS)).toBeLessThanOrEqual(kt);
                expect(maxRelError(fromView(outF, B, T, n), refF)).toBeLessThanOrEqual(kt);
              },
            ),
            { numRuns: Math.max(5, Math.round(numRuns / 2)) },
          );
        });
      }
    }
  });
}
