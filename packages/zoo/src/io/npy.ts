/**
 * NumPy `.npy` read and write for inputs and outputs: versions 1.0, 2.0 (and 3.0 on read), dtypes
 * `'<f8'` and `'<f4'`, C order. Anything else (big-endian, integers, Fortran order, object arrays)
 * is rejected with a {@link FormatError} that says what was found.
 */
import type { DType } from '@antler/core';
import { FormatError } from './format-error.js';
import type { FileTensor } from './safetensors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Parses a `.npy` file into `{ dtype, shape, data }` (Float64Array for `'<f8'`, Float32Array for `'<f4'`).
 *
 * @example
 * ```ts
 * import { decodeNpy, encodeNpy } from '@antler/zoo';
 * const bytes = encodeNpy(Float32Array.of(1, 2, 3, 4), [2, 2]);
 * decodeNpy(bytes); // { dtype: 'float32', shape: [2, 2], data: Float32Array [1, 2, 3, 4] }
 * ```
 */
export function decodeNpy(bytes: Uint8Array, file = 'npy'): FileTensor {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(file, 'expected the file bytes as a Uint8Array');
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new FormatError(file, 'not a .npy file (missing the \\x93NUMPY magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FormatError(file, 'truncated header length');
    headerLength = view.getUint32(8, true);
    start = 12;
  } else {
    throw new FormatError(file, `format version ${major}.${bytes[7]} is not supported (1.0, 2.0, 3.0 are)`);
  }
  if (start + headerLength > bytes.length)
    throw new FormatError(file, `header length ${headerLength} exceeds the file`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(start, start + headerLength),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FormatError(
      file,
      `header ${JSON.stringify(header.trim())} lacks 'descr', 'fortran_order' or 'shape'`,
    );
  }
  if (fortran === 'True')
    throw new FormatError(
      file,
      'fortran_order True is not supported: save a C-ordered array (np.ascontiguousarray)',
    );
  let dtype: DType;
  if (descr === '<f8') dtype = 'float64';
  else if (descr === '<f4') dtype = 'float32';
  else
    throw new FormatError(
      file,
      `dtype '${descr}' is not supported ('<f8' and '<f4' are; convert with arr.astype('<f8'))`,
    );
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const d = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(d) || d < 0)
        throw new FormatError(file, `shape (${shapeText}) is not a tuple of non-negative integers`);
      return d;
    });
  const count = shape.reduce((p, d) => p * d, 1);
  const size = dtype === 'float64' ? 8 : 4;
  const dataStart = start + headerLength;
  if (bytes.length - dataStart !== count * size) {
    throw new FormatError(
      file,
      `shape (${shape.join(', ')}) of ${descr} needs ${count * size} data bytes, the file has ${bytes.length - dataStart}`,
    );
  }
  const data = dtype === 'float64' ? new Float64Array(count) : new Float32Array(count);
  if (dtype === 'float64') for (let i = 0; i < count; i++) data[i] = view.getFloat64(dataStart + 8 * i, true);
  else for (let i = 0; i < count; i++) data[i] = view.getFloat32(dataStart + 4 * i, true);
  return { dtype, shape, data };
}

/**
 * Writes a C-ordered `.npy` file ('<f8' for Float64Array, '<f4' for Float32Array; version 1.0, or 2.0
 * when the header does not fit in 65,535 bytes). The header is padded so the data starts on a
 * 64-byte boundary.
 */
export function encodeNpy(
  data: Float64Array | Float32Array,
  shape: readonly number[] = [data.length],
): Uint8Array {
  const count = shape.reduce((p, d) => p * d, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new FormatError('npy', `shape [${shape.join(', ')}] does not hold ${data.length} values`);
  }
  const f64 = data instanceof Float64Array;
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${f64 ? '<f8' : '<f4'}', 'fortran_order': False, 'shape': ${tuple}, }`;
  let version = 1;
  let prefix = 10;
  if (dict.length + 1 + prefix > 65535) {
    version = 2;
    prefix = 12;
  }
  const padded = dict + ' '.repeat((64 - ((prefix + dict.length + 1) % 64)) % 64) + '\n';
  const size = f64 ? 8 : 4;
  const out = new Uint8Array(prefix + padded.length + count * size);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  for (let i = 0; i < padded.length; i++) out[prefix + i] = padded.charCodeAt(i);
  const at = prefix + padded.length;
  if (f64) for (let i = 0; i < count; i++) view.setFloat64(at + 8 * i, data[i], true);
  else for (let i = 0; i < count; i++) view.setFloat32(at + 4 * i, data[i], true);
  return out;
}
