import { Buffer } from 'node:buffer';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellFromWeights, randomCell, CELL_KINDS } from '../src/factory.js';
import { FormatError } from '../src/io/format-error.js';
import { decodeNpy, encodeNpy } from '../src/io/npy.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { parseWeights, readWeightsFile } from '../src/io/weights-file.js';
import { randn, stepOf } from './helpers.js';

/** .npy files written by NumPy 2.4 (np.save / np.lib.format.write_array), base64. */
const NUMPY = {
  f8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADgPwAAAAAAAPS/AAAAAAAACEBZ8/jCH26lAQAAAOh2SBdCAAAAAAAAAIA=',
  f4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA/AACgvwAAQEAAAAAAt0O6UAAAAIA=',
  f8v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADgPwAAAAAAAPS/AAAAAAAACEBZ8/jCH26lAQAAAOh2SBdCAAAAAAAAAIA=',
  fortran:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAADgP1nz+MIfbqUBAAAAAAAA9L8AAADodkgXQgAAAAAAAAhAAAAAAAAAAIA=',
  bigEndian:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/4AAAAAAAAL/0AAAAAAAAQAgAAAAAAAABpW4fwvjzWUIXSHboAAAAgAAAAAAAAAA=',
  int64:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAA=',
  scalar:
    'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAeQA==',
};
const bytesOf = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
const VALUES = [0.5, -1.25, 3.0, 1e-300, 2.5e10, -0];

describe('npy', () => {
  it('reads NumPy-written <f8 / <f4 (v1.0 and v2.0) and scalars', () => {
    const f8 = decodeNpy(bytesOf(NUMPY.f8));
    expect(f8.dtype).toBe('float64');
    expect(f8.shape).toEqual([2, 3]);
    expect(Array.from(f8.data)).toEqual(VALUES);
    expect(Object.is(f8.data[5], -0)).toBe(true);
    const f4 = decodeNpy(bytesOf(NUMPY.f4));
    expect(f4.data).toBeInstanceOf(Float32Array);
    expect(Array.from(f4.data)).toEqual(VALUES.map(Math.fround));
    expect(Array.from(decodeNpy(bytesOf(NUMPY.f8v2)).data)).toEqual(VALUES);
    const s = decodeNpy(bytesOf(NUMPY.scalar));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.data)).toEqual([7.5]);
  });
  it('writes byte-identical files to NumPy for the same arrays', () => {
    expect(Buffer.from(encodeNpy(Float64Array.from(VALUES), [2, 3])).toString('base64')).toBe(NUMPY.f8);
    expect(Buffer.from(encodeNpy(Float32Array.from(VALUES), [2, 3])).toString('base64')).toBe(NUMPY.f4);
    expect(Buffer.from(encodeNpy(Float64Array.of(7.5), [])).toString('base64')).toBe(NUMPY.scalar);
  });
  it('rejects Fortran order, big-endian, integer dtypes, bad magic and truncated data with FormatError', () => {
    expect(() => decodeNpy(bytesOf(NUMPY.fortran))).toThrow(/fortran_order True is not supported/);
    expect(() => decodeNpy(bytesOf(NUMPY.bigEndian))).toThrow(/dtype '>f8' is not supported/);
    expect(() => decodeNpy(bytesOf(NUMPY.int64))).toThrow(FormatError);
    expect(() => decodeNpy(new Uint8Array(20))).toThrow(/magic/);
    expect(() => decodeNpy(bytesOf(NUMPY.f8).subarray(0, 130))).toThrow(/needs 48 data bytes/);
    expect(() => encodeNpy(new Float64Array(5), [2, 3])).toThrow(FormatError);
  });
  it('round-trips any float64/float32 array and shape (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }),
        fc.boolean(),
        fc.integer(),
        (shape, f32, seed) => {
          const n = shape.reduce((p, d) => p * d, 1);
          const src = randn(n, seed);
          const data = f32 ? Float32Array.from(src) : src;
          const bytes = encodeNpy(data, shape);
          expect((bytes.length - n * (f32 ? 4 : 8)) % 64).toBe(0); // data 64-byte aligned
          const back = decodeNpy(bytes);
          expect(back.shape).toEqual(shape);
          expect(back.data).toEqual(data);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** A safetensors file assembled by hand from the format spec (independent of the encoder). */
function handMade(header: object, data: Uint8Array, headerLengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
function f32Bytes(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  for (let i = 0; i < values.length; i++) v.setFloat32(4 * i, values[i], true);
  return b;
}

describe('safetensors', () => {
  it('reads a hand-assembled file (F32 + F16 + BF16, __metadata__)', () => {
    const w = f32Bytes([1, 2, 3, 4, 5, 6]);
    // F16 1.0 = 0x3c00, −2.0 = 0xc000; BF16 1.5 = 0x3fc0.
    const half = Uint8Array.of(0x00, 0x3c, 0x00, 0xc0);
    const bf = Uint8Array.of(0xc0, 0x3f);
    const file = handMade(
      {
        __metadata__: { format: 'pt' },
        'rnn.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
        h: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
        b: { dtype: 'BF16', shape: [], data_offsets: [28, 30] },
      },
      Uint8Array.from([...w, ...half, ...bf]),
    );
    const st = decodeSafetensors(file);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.tensors['rnn.weight'].shape).toEqual([2, 3]);
    expect(Array.from(st.tensors['rnn.weight'].data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(st.tensors.h.data)).toEqual([1, -2]);
    expect(Array.from(st.tensors.b.data)).toEqual([1.5]);
  });
  it('rejects malformed files with a FormatError that says what is wrong', () => {
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const data = f32Bytes([1, 2]);
    expect(() => decodeSafetensors(handMade(ok, data, 10_000n))).toThrow(/header length 10000 exceeds/);
    expect(() => decodeSafetensors(new Uint8Array(4))).toThrow(/shorter than the 8-byte header length/);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data)),
    ).toThrow(/dtype "I64"/);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data)),
    ).toThrow(/needs 12 bytes, data_offsets span 8/);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data)),
    ).toThrow(/outside the 8-byte data buffer/);
    expect(() =>
      decodeSafetensors(
        handMade(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
          },
          data,
        ),
      ),
    ).toThrow(/overlap/);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data)),
    ).toThrow(/gap/);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data)),
    ).toThrow(/trailing bytes/);
    const bad = handMade(ok, data);
    bad[8] = 0x5b; // '[' — not an object / not JSON
    expect(() => decodeSafetensors(bad)).toThrow(FormatError);
    expect(() =>
      decodeSafetensors(handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, data)),
    ).toThrow(/shape/);
  });
  it('round-trips float64 and float32 with metadata; header padded to 8 bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'),
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
          { maxKeys: 4 },
        ),
        fc.constantFrom<'float64' | 'float32' | undefined>('float64', 'float32', undefined),
        (shapes, dtype) => {
          const tensors: Record<string, { shape: number[]; data: Float64Array }> = {};
          let seed = 0;
          for (const [name, shape] of Object.entries(shapes))
            tensors[name] = {
              shape,
              data: randn(
                shape.reduce((p, d) => p * d, 1),
                seed++,
              ),
            };
          const bytes = encodeSafetensors(tensors, { dtype, metadata: { source: 'test' } });
          const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
          expect(headerLength % 8).toBe(0);
          const back = decodeSafetensors(bytes);
          expect(back.metadata).toEqual({ source: 'test' });
          expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            expect(back.tensors[name].shape).toEqual(t.shape);
            expect(back.tensors[name].dtype).toBe(dtype ?? 'float64');
            expect(Array.from(back.tensors[name].data)).toEqual(
              Array.from(dtype === 'float32' ? Float32Array.from(t.data) : t.data),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('weights files and cellFromWeights', () => {
  it('every kind rebuilds the same cell from its own parameters through JSON and .safetensors (F64)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-io-'));
    for (const kind of CELL_KINDS) {
      const cell = randomCell(
        kind,
        { hiddenSize: kind === 'lorenz96' ? 6 : 3, inputSize: 2, seed: 11 },
        { size: 6 },
      );
      const opts = kind === 'lorenz96' ? { size: 6 } : {};
      const json = JSON.stringify(
        Object.fromEntries(
          Object.entries(cell.parameters).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }]),
        ),
      );
      const st = encodeSafetensors(cell.parameters);
      writeFileSync(join(dir, `${kind}.json`), json);
      writeFileSync(join(dir, `${kind}.safetensors`), st);
      const h = randn(cell.stateSize, 1);
      const x = randn(cell.inputSize, 2);
      const want = Array.from(stepOf(cell, h, x));
      for (const file of [`${kind}.json`, `${kind}.safetensors`]) {
        const again = cellFromWeights(kind, await readWeightsFile(join(dir, file)), opts);
        expect(again.kind).toBe(kind);
        expect(Array.from(stepOf(again, h, x)), `${kind} via ${file}`).toEqual(want);
      }
    }
  });
  it('JSON: unwraps state_dict; rejects bad JSON, unknown extensions and unknown kinds', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const w = parseWeights(enc({ state_dict: { weight_ih_l0: [[1]], weight_hh_l0: [[0.5]] } }), 'm.json');
    expect(cellFromWeights('elman', w).stateSize).toBe(1);
    expect(() => parseWeights(new TextEncoder().encode('{'), 'm.json')).toThrow(FormatError);
    expect(() => parseWeights(new Uint8Array(0), 'm.bin')).toThrow(/unknown weights extension/);
    expect(() => cellFromWeights('transformer', w)).toThrow(/kind: expected one of 'elman'/);
  });
});
