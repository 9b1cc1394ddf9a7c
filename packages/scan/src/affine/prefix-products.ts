/**
 * The composed operators of an affine scan: P_t = op(A_t) ⋯ op(A_0) (forward) or
 * P_t = op(A_t) ⋯ op(A_{T−1}) (reverse), so that s_t = P_t s0 + (the scan from a zero start). Needed
 * when a caller must apply the same scan to many start states, or differentiate with respect to s0.
 */
import {
  type AffineScanArgs,
  checkInteger,
  checkView,
  DTypeError,
  dtypeOf,
  operatorStepSize,
  type ScanReport,
  type SequenceView,
  ShapeError,
} from '@antler/core';

/** Arguments of {@link affinePrefixProducts}. */
export interface PrefixProductArgs {
  readonly structure: AffineScanArgs['structure'];
  readonly blockSize?: number;
  readonly batch: number;
  readonly length: number;
  readonly size: number;
  /** Operators A_t, laid out as for {@link AffineScanArgs.a}. */
  readonly a: SequenceView;
  /** Output prefix products, same layout as `a` (op(A) applied); must not alias `a`. */
  readonly out: SequenceView;
  readonly reverse?: boolean;
  readonly transpose?: boolean;
}

/**
 * Writes the prefix products P_t (in the layout of the structure: `[B][T][n][n]`, `[B][T][n]` or
 * `[B][T][n/k][k][k]`). Sequential; float64 arithmetic per product, stored in the output dtype.
 *
 * @example
 * ```ts
 * import { affinePrefixProducts } from '@antler/scan';
 * const out = new Float64Array(3);
 * affinePrefixProducts({
 *   structure: 'diagonal', batch: 1, length: 3, size: 1,
 *   a: { data: new Float64Array([2, 3, 4]) }, out: { data: out },
 * });
 * // out = [2, 6, 24]
 * ```
 */
export function affinePrefixProducts(args: PrefixProductArgs): ScanReport {
  const batch = checkInteger(args.batch, 'batch');
  const length = checkInteger(args.length, 'length');
  const n = checkInteger(args.size, 'size');
  const structure = args.structure;
  if (structure !== 'dense' && structure !== 'diagonal' && structure !== 'block') {
    throw new ShapeError('structure', "'dense', 'diagonal' or 'block'", JSON.stringify(structure));
  }
  const k =
    structure === 'block' ? checkInteger(args.blockSize ?? 2, 'blockSize') : structure === 'dense' ? n : 1;
  if (n % k !== 0) throw new ShapeError('size', `a multiple of blockSize ${k}`, String(n));
  const step = operatorStepSize(structure, n, k);
  const shape = { batch, length };
  const a = checkView('a', args.a, shape, step);
  const out = checkView('out', args.out, shape, step);
  if (dtypeOf(a.data, 'a') !== dtypeOf(out.data, 'out')) {
    throw new DTypeError('a', `${dtypeOf(out.data)} like out`, a.data.constructor.name);
  }
  if (a.data === out.data) throw new ShapeError('out', 'an array distinct from a', 'the same array as a');
  const ad = a.data;
  const od = out.data;
  const diag = structure === 'diagonal';
  const kk = diag ? 1 : k * k;
  const rs = args.transpose ? 1 : k;
  const cs = args.transpose ? k : 1;
  const tmp = new Float64Array(kk);
  let check = 0;
  for (let kb = 0; kb < batch; kb++) {
    for (let step = 0; step < length; step++) {
      const t = args.reverse ? length - 1 - step : step;
      const prev = args.reverse ? t + 1 : t - 1;
      const ai = a.offset + kb * a.batchStride + t * a.timeStride;
      const oi = out.offset + kb * out.batchStride + t * out.timeStride;
      const pi = out.offset + kb * out.batchStride + prev * out.timeStride;
      if (diag) {
        for (let i = 0; i < n; i++) {
          const v = step === 0 ? ad[ai + i] : ad[ai + i] * od[pi + i];
          od[oi + i] = v;
          check += v - v;
        }
        continue;
      }
      for (let p = 0; p < n / k; p++) {
        const ab = ai + p * kk;
        const ob = oi + p * kk;
        const pb = pi + p * kk;
        for (let i = 0; i < k; i++) {
          for (let q = 0; q < k; q++) {
            let acc: number;
            if (step === 0) acc = ad[ab + i * rs + q * cs];
            else {
              acc = 0;
              for (let j = 0; j < k; j++) acc += ad[ab + i * rs + j * cs] * od[pb + j * k + q];
            }
            tmp[i * k + q] = acc;
          }
        }
        for (let i = 0; i < kk; i++) {
          od[ob + i] = tmp[i];
          check += tmp[i] - tmp[i];
        }
      }
    }
  }
  return { finite: check === 0 };
}
