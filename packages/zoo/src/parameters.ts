/**
 * Parameter tensors: parsing PyTorch-state_dict-like objects (nested arrays or `{ shape, data }`),
 * looking names up with or without the `_l0` layer suffix, shape checks and seeded random init.
 */
import { describeValue, firstNonFinite, NonFiniteError, ShapeError, type Tensor } from '@antler/core';
import { createRandom } from './random.js';

/** A nested array of numbers, any depth (`[[1, 2], [3, 4]]`). */
export type NestedNumbers = number | readonly NestedNumbers[];

/** One tensor as a user may give it: a nested array, `{ shape, data }` with flat data, or a core `Tensor`. */
export type TensorLike =
  | readonly NestedNumbers[]
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number> };

/** A state_dict-like object: parameter name → tensor (PyTorch names such as `weight_ih_l0`). */
export type WeightsLike = Readonly<Record<string, TensorLike>>;

/** A parameter a cell expects: its name, shape and whether it may be absent. */
export interface ParameterSpec {
  /** PyTorch-style name, e.g. `weight_ih_l0`. */
  readonly name: string;
  /** Expected shape. */
  readonly shape: readonly number[];
  /** Absent ⇒ the cell runs without it (e.g. PyTorch's `bias=False`). */
  readonly optional?: boolean;
}

function inferShape(value: NestedNumbers): number[] {
  const shape: number[] = [];
  let v: NestedNumbers = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0] as NestedNumbers;
  }
  return shape;
}

function flatten(
  value: NestedNumbers,
  name: string,
  shape: readonly number[],
  depth: number,
  out: number[],
): void {
  if (depth === shape.length) {
    if (typeof value !== 'number')
      throw new ShapeError(
        name,
        `a rectangular nested array of numbers, shape [${shape.join(', ')}]`,
        describeValue(value),
      );
    out.push(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new ShapeError(
      name,
      `a rectangular nested array of numbers, shape [${shape.join(', ')}]`,
      `${describeValue(value)} at depth ${depth}`,
    );
  }
  for (const v of value) flatten(v as NestedNumbers, name, shape, depth + 1, out);
}

/**
 * Converts a nested array or `{ shape, data }` to a core {@link Tensor} (float64, row-major), copying.
 * Throws a {@link ShapeError} naming `name` for ragged arrays, non-numbers or a data/shape mismatch.
 *
 * @example
 * ```ts
 * import { toTensor } from '@antler/zoo';
 * toTensor([[1, 2, 3], [4, 5, 6]], 'weight'); // { shape: [2, 3], data: Float64Array [1, …, 6] }
 * ```
 */
export function toTensor(value: TensorLike, name = 'tensor'): Tensor {
  if (Array.isArray(value)) {
    const shape = inferShape(value as NestedNumbers);
    const flat: number[] = [];
    flatten(value as NestedNumbers, name, shape, 0, flat);
    return { shape, data: Float64Array.from(flat) };
  }
  const v = value as { shape?: unknown; data?: unknown };
  if (
    !v ||
    !Array.isArray(v.shape) ||
    v.data == null ||
    typeof (v.data as ArrayLike<number>).length !== 'number'
  ) {
    throw new ShapeError(name, 'a nested array or { shape: number[], data: number[] }', describeValue(value));
  }
  const shape = (v.shape as unknown[]).map((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new ShapeError(`${name}.shape[${i}]`, 'a non-negative integer', describeValue(d));
    return d;
  });
  const size = shape.reduce((p, d) => p * d, 1);
  const data = v.data as ArrayLike<number>;
  if (data.length !== size)
    throw new ShapeError(
      `${name}.data`,
      `${size} elements for shape [${shape.join(', ')}]`,
      `length ${data.length}`,
    );
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = data[i];
    if (typeof x !== 'number') throw new ShapeError(`${name}.data`, 'numbers', describeValue(x));
    out[i] = x;
  }
  return { shape, data: out };
}

/**
 * Finds `name` in `weights`, also accepting it without (or with) PyTorch's `_l0` layer suffix.
 * Returns the key found, or `undefined`.
 */
export function findWeightKey(weights: WeightsLike, name: string): string | undefined {
  if (Object.hasOwn(weights, name)) return name;
  const alt = name.endsWith('_l0') ? name.slice(0, -3) : `${name}_l0`;
  return Object.hasOwn(weights, alt) ? alt : undefined;
}

/** Reads `name` from `weights` as a tensor (or `undefined` when absent). */
export function readWeight(weights: WeightsLike, name: string): Tensor | undefined {
  const key = findWeightKey(weights, name);
  return key === undefined ? undefined : toTensor(weights[key] as TensorLike, key);
}

/** Reads `name`, throwing a {@link ShapeError} if it is missing. */
export function requireWeight(weights: WeightsLike, name: string, kind: string): Tensor {
  const t = readWeight(weights, name);
  if (!t) {
    throw new ShapeError(
      `weights.${name}`,
      `a tensor named '${name}' (or without '_l0') for a ${kind} cell`,
      `keys [${Object.keys(weights).join(', ')}]`,
    );
  }
  return t;
}

/** Throws a {@link ShapeError} unless `tensor` has exactly `shape`. */
export function checkShape(tensor: Tensor, name: string, shape: readonly number[]): Tensor {
  const ok = tensor.shape.length === shape.length && tensor.shape.every((d, i) => d === shape[i]);
  if (!ok)
    throw new ShapeError(
      `weights.${name}`,
      `shape [${shape.join(', ')}]`,
      `shape [${tensor.shape.join(', ')}]`,
    );
  return tensor;
}

/**
 * Loads every spec'd parameter from `weights` (checking shapes; a NaN or ±Infinity weight throws a
 * `NonFiniteError` naming the tensor and the flat index); optional ones may be absent.
 * Unknown extra names are rejected so that a typo is not silently ignored.
 */
export function loadParameters(
  weights: WeightsLike,
  specs: readonly ParameterSpec[],
  kind: string,
): Record<string, Tensor> {
  if (!weights || typeof weights !== 'object')
    throw new ShapeError('weights', 'an object of named tensors', describeValue(weights));
  const out: Record<string, Tensor> = {};
  const used = new Set<string>();
  for (const spec of specs) {
    const key = findWeightKey(weights, spec.name);
    if (key === undefined) {
      if (spec.optional) continue;
      throw new ShapeError(
        `weights.${spec.name}`,
        `a tensor of shape [${spec.shape.join(', ')}] for a ${kind} cell`,
        `keys [${Object.keys(weights).join(', ')}]`,
      );
    }
    used.add(key);
    const t = checkShape(toTensor(weights[key] as TensorLike, key), spec.name, spec.shape);
    const bad = firstNonFinite(t.data);
    if (bad >= 0)
      throw new NonFiniteError(`weights.${key}`, bad, t.data[bad], `a ${kind} cell needs finite weights`);
    out[spec.name] = t;
  }
  const extra = Object.keys(weights).filter((k) => !used.has(k));
  if (extra.length > 0) {
    throw new ShapeError(
      'weights',
      `only [${specs.map((s) => s.name).join(', ')}] for a ${kind} cell`,
      `unexpected [${extra.join(', ')}]`,
    );
  }
  return out;
}

/** Sizes and seed for a randomly initialised cell. */
export interface RandomInitOptions {
  /** Hidden size H. */
  readonly hiddenSize: number;
  /** Input size m. */
  readonly inputSize: number;
  /** PRNG seed (default 0). */
  readonly seed?: number;
  /**
   * Multiplies PyTorch's default bound 1/√H (default 1). Scales above ~1 make recurrences with
   * Jacobian norms above one, i.e. unstable cells for stress tests.
   */
  readonly scale?: number;
}

/**
 * Fills every spec'd parameter with U(−b, b), b = scale/√H (PyTorch's RNN default), in spec order
 * from one seeded stream, so the same seed always gives the same weights.
 */
export function randomParameters(
  specs: readonly ParameterSpec[],
  hiddenSize: number,
  seed = 0,
  scale = 1,
): Record<string, Tensor> {
  const rng = createRandom(seed);
  const bound = scale / Math.sqrt(hiddenSize);
  const out: Record<string, Tensor> = {};
  for (const spec of specs) {
    const data = new Float64Array(spec.shape.reduce((p, d) => p * d, 1));
    rng.fillUniform(data, -bound, bound);
    out[spec.name] = { shape: [...spec.shape], data };
  }
  return out;
}
