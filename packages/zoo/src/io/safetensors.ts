/**
 * `.safetensors` read and write (https://github.com/huggingface/safetensors format): an 8-byte
 * little-endian header length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__"?: { string: string } }`, then the little-endian tensor bytes, offsets relative to
 * the end of the header. Reading is strict: the tensors must tile the data buffer exactly.
 */
import type { DType } from '@antler/core';
import { FormatError } from './format-error.js';

/** A tensor read from or written to a file: dtype, shape and flat row-major data. */
export interface FileTensor {
  /** Element type in memory (F16/BF16 tensors are widened to float32 on read). */
  readonly dtype: DType;
  /** Dimensions, outermost first (empty for a scalar). */
  readonly shape: readonly number[];
  /** Row-major values. */
  readonly data: Float64Array | Float32Array;
}

/** The contents of a `.safetensors` file. */
export interface Safetensors {
  /** Tensors by name, in header order. */
  readonly tensors: Record<string, FileTensor>;
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
const MAX_HEADER = 100 * 1024 * 1024;

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/**
 * Parses a `.safetensors` file. F64 → Float64Array, F32 → Float32Array, F16/BF16 → Float32Array
 * (exact widening). Throws a {@link FormatError} for a bad header length, invalid JSON, an unknown
 * dtype, a shape that does not match its byte range, or offsets out of range, overlapping or leaving gaps.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from '@antler/zoo';
 * const bytes = encodeSafetensors({ w: { shape: [2], data: Float64Array.of(1, 2) } });
 * decodeSafetensors(bytes).tensors.w.data; // Float64Array [1, 2]
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors'): Safetensors {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(file, 'expected the file bytes as a Uint8Array');
  if (bytes.length < 8)
    throw new FormatError(file, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw new FormatError(
      file,
      `header length ${n} exceeds the file (${bytes.length - 8} bytes after the length) or the 100 MiB limit`,
    );
  }
  const headerLength = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (e) {
    throw new FormatError(file, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header))
    throw new FormatError(file, 'header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!value || typeof value !== 'object' || Array.isArray(value))
        throw new FormatError(file, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new FormatError(file, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object')
      throw new FormatError(file, `tensor '${name}' has no {dtype, shape, data_offsets}`);
    if (typeof info.dtype !== 'string' || !(info.dtype in BYTES)) {
      throw new FormatError(
        file,
        `tensor '${name}' has dtype ${JSON.stringify(info.dtype)}; Antler reads F64, F32, F16, BF16`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new FormatError(
        file,
        `tensor '${name}' has shape ${JSON.stringify(shape)}, expected non-negative integers`,
      );
    }
    const off = info.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isInteger(d) && d >= 0) ||
      off[0] > off[1]
    ) {
      throw new FormatError(
        file,
        `tensor '${name}' has data_offsets ${JSON.stringify(off)}, expected [begin, end] with 0 ≤ begin ≤ end`,
      );
    }
    if (off[1] > dataLength) {
      throw new FormatError(
        file,
        `tensor '${name}' data_offsets [${off[0]}, ${off[1]}] lie outside the ${dataLength}-byte data buffer`,
      );
    }
    const count = shape.reduce((p: number, d: number) => p * d, 1);
    if (count * BYTES[info.dtype] !== off[1] - off[0]) {
      throw new FormatError(
        file,
        `tensor '${name}' of dtype ${info.dtype} and shape [${shape.join(', ')}] needs ${count * BYTES[info.dtype]} bytes, data_offsets span ${off[1] - off[0]}`,
      );
    }
    entries.push({ name, dtype: info.dtype, shape, begin: off[0], end: off[1] });
  }
  // The byte ranges must tile [0, dataLength) exactly: no overlap, no gap (as the reference reader checks).
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin < cursor)
      throw new FormatError(
        file,
        `tensor '${e.name}' bytes [${e.begin}, ${e.end}) overlap the previous tensor (ends at ${cursor})`,
      );
    if (e.begin > cursor)
      throw new FormatError(
        file,
        `gap in the data buffer: bytes [${cursor}, ${e.begin}) belong to no tensor`,
      );
    cursor = e.end;
  }
  if (cursor !== dataLength)
    throw new FormatError(
      file,
      `data buffer has ${dataLength - cursor} trailing bytes that belong to no tensor`,
    );
  const tensors: Record<string, FileTensor> = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / BYTES[e.dtype];
    const at = dataStart + e.begin;
    let data: Float64Array | Float32Array;
    if (e.dtype === 'F64') {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + 8 * i, true);
    } else {
      data = new Float32Array(count);
      if (e.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
      else if (e.dtype === 'F16')
        for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      else {
        const bits = new DataView(new ArrayBuffer(4));
        for (let i = 0; i < count; i++) {
          bits.setUint32(0, view.getUint16(at + 2 * i, true) << 16, true);
          data[i] = bits.getFloat32(0, true);
        }
      }
    }
    tensors[e.name] = { dtype: e.dtype === 'F64' ? 'float64' : 'float32', shape: e.shape, data };
  }
  return { tensors, metadata };
}

/** Options of {@link encodeSafetensors}. */
export interface EncodeSafetensorsOptions {
  /** Storage dtype for every tensor (default: each tensor's own, float64 for plain `number[]` data). */
  readonly dtype?: DType;
  /** `__metadata__` string map. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Writes tensors as a `.safetensors` file (F64 or F32, little-endian, header padded with spaces to a
 * multiple of 8 bytes). Tensors are laid out in name order.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>>,
  options: EncodeSafetensorsOptions = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = { ...options.metadata };
  let offset = 0;
  const layout: { name: string; f64: boolean; begin: number }[] = [];
  for (const name of names) {
    if (name === '__metadata__')
      throw new FormatError('safetensors', "a tensor may not be named '__metadata__'");
    const t = tensors[name];
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (t.data.length !== count) {
      throw new FormatError(
        'safetensors',
        `tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(', ')}] (${count})`,
      );
    }
    const f64 = options.dtype ? options.dtype === 'float64' : !(t.data instanceof Float32Array);
    const bytes = count * (f64 ? 8 : 4);
    header[name] = {
      dtype: f64 ? 'F64' : 'F32',
      shape: [...t.shape],
      data_offsets: [offset, offset + bytes],
    };
    layout.push({ name, f64, begin: offset });
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - ((8 + raw) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const { name, f64, begin } of layout) {
    const d = tensors[name].data;
    for (let i = 0; i < d.length; i++) {
      if (f64) view.setFloat64(base + begin + 8 * i, d[i], true);
      else view.setFloat32(base + begin + 4 * i, d[i], true);
    }
  }
  return out;
}
