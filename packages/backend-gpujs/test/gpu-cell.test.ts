/** gpuCell: the CPU Cell and the gpu.js kernels made from one source agree with an independent formula. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGpuJsBackend, GpuCellSourceError, gpuCell } from '../src/index.js';
import { probes } from './modes.js';

const A = 0.7;
const C = -0.4;
/** f_i = tanh(A h_i + C h_{(i+1) mod n} + x_i + bias): a coupled cell with a loop-free body. */
function coupledCell(n: number) {
  return gpuCell({
    kind: 'test-coupled',
    stateSize: n,
    inputSize: n,
    constants: { a: A, c: C, bias: 0.1, n },
    step(h, x, i) {
      const j = (i + 1) % this.constants.n;
      return Math.tanh(this.constants.a * h[i] + this.constants.c * h[j] + x[i] + this.constants.bias);
    },
    diagonal(h, x, i) {
      const j = (i + 1) % this.constants.n;
      const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[j] + x[i] + this.constants.bias);
      return this.constants.a * (1 - y * y);
    },
  });
}
/** The coupled cell again, defined by its dense Jacobian entries instead of a diagonal function. */
function denseCell(n: number) {
  return gpuCell({
    stateSize: n,
    inputSize: n,
    constants: { a: A, c: C, bias: 0.1, n },
    step(h, x, i) {
      const j = (i + 1) % this.constants.n;
      return Math.tanh(this.constants.a * h[i] + this.constants.c * h[j] + x[i] + this.constants.bias);
    },
    jacobian(h, x, i, j) {
      const next = (i + 1) % this.constants.n;
      const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[next] + x[i] + this.constants.bias);
      let w = 0;
      if (j === i) w += this.constants.a;
      if (j === next) w += this.constants.c;
      return w * (1 - y * y);
    },
  });
}

/** The same cell written independently, in float64. */
function reference(h: ArrayLike<number>, x: ArrayLike<number>, n: number, i: number) {
  const y = Math.tanh(A * h[i] + C * h[(i + 1) % n] + x[i] + 0.1);
  return { f: y, d: A * (1 - y * y) };
}

function random(seed: number, len: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(len);
  for (let k = 0; k < len; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

describe('gpuCell as a core Cell (CPU)', () => {
  it('step and diagonalJacobian equal the independent float64 formula at offsets', () => {
    const n = 5;
    const cell = coupledCell(n);
    const h = Float64Array.from(random(1, 3 + n, 2));
    const x = Float64Array.from(random(2, 4 + n, 2));
    const out = new Float64Array(n + 2);
    cell.step(h, 3, x, 4, out, 2);
    const f = new Float64Array(n);
    const d = new Float64Array(n + 1);
    cell.diagonalJacobian?.(h, 3, x, 4, f, 0, d, 1);
    for (let i = 0; i < n; i++) {
      const r = reference(h.subarray(3), x.subarray(4), n, i);
      expect(out[2 + i]).toBeCloseTo(r.f, 14);
      expect(f[i]).toBeCloseTo(r.f, 14);
      expect(d[1 + i]).toBeCloseTo(r.d, 14);
    }
  });

  it('diagonal equals a central finite difference of step', () => {
    const n = 4;
    const cell = coupledCell(n);
    const h = Float64Array.from(random(3, n, 1.5));
    const x = Float64Array.from(random(4, n, 1.5));
    const f = new Float64Array(n);
    const d = new Float64Array(n);
    cell.diagonalJacobian?.(h, 0, x, 0, f, 0, d, 0);
    const eps = 1e-6;
    for (let i = 0; i < n; i++) {
      const hp = Float64Array.from(h);
      const hm = Float64Array.from(h);
      hp[i] += eps;
      hm[i] -= eps;
      const fp = new Float64Array(n);
      const fm = new Float64Array(n);
      cell.step(hp, 0, x, 0, fp, 0);
      cell.step(hm, 0, x, 0, fm, 0);
      expect(d[i]).toBeCloseTo((fp[i] - fm[i]) / (2 * eps), 8);
    }
  });

  it('jacobian gives denseJacobian (= central differences of step) and the diagonal at j = i', () => {
    const n = 4;
    const cell = denseCell(n);
    const h = Float64Array.from(random(8, n, 1.5));
    const x = Float64Array.from(random(9, n, 1.5));
    const f = new Float64Array(n);
    const jac = new Float64Array(n * n);
    cell.denseJacobian?.(h, 0, x, 0, f, 0, jac, 0);
    const eps = 1e-6;
    for (let j = 0; j < n; j++) {
      const hp = Float64Array.from(h);
      const hm = Float64Array.from(h);
      hp[j] += eps;
      hm[j] -= eps;
      const fp = new Float64Array(n);
      const fm = new Float64Array(n);
      cell.step(hp, 0, x, 0, fp, 0);
      cell.step(hm, 0, x, 0, fm, 0);
      for (let i = 0; i < n; i++) expect(jac[i * n + j]).toBeCloseTo((fp[i] - fm[i]) / (2 * eps), 8);
    }
    const d = new Float64Array(n);
    cell.diagonalJacobian?.(h, 0, x, 0, f, 0, d, 0);
    for (let i = 0; i < n; i++) expect(d[i]).toBe(jac[i * n + i]);
  });

  it('accepts arrow functions and expression bodies; no diagonal means no diagonalJacobian', () => {
    const cell = gpuCell({ stateSize: 2, inputSize: 0, step: (h, _x, i) => 0.5 * h[i] + 1 });
    const out = new Float64Array(2);
    cell.step(Float64Array.of(2, 4), 0, new Float64Array(0), 0, out, 0);
    expect(Array.from(out)).toEqual([2, 3]);
    expect(cell.diagonalJacobian).toBeUndefined();
  });

  it('refuses sources it cannot compile, naming the function', () => {
    const bad = (step: unknown) => () => gpuCell({ stateSize: 2, inputSize: 1, step: step as never });
    const four = (h: ArrayLike<number>, _x: unknown, _i: number, _extra: number) => h[0];
    expect(bad(four)).toThrow(GpuCellSourceError);
    expect(bad(four)).toThrow(/^step: expected up to three/);
    expect(bad(({ h }: { h: number }) => h)).toThrow(/plain parameters/);
    expect(bad((h: ArrayLike<number>, _x: unknown, _i: number) => h.length)).toThrow(
      /'h' may only be read by indexing/,
    );
    expect(
      bad(function (this: { thread: { x: number } }, h: ArrayLike<number>, _x: unknown, _i: number) {
        return h[this.thread.x];
      }),
    ).toThrow(/this\.thread/);
    expect(bad(42)).toThrow(/expected a function/);
    const w = 0.5;
    expect(bad((h: ArrayLike<number>, _x: unknown, i: number) => w * h[i])).toThrow(
      /step: calling it failed: w is not defined.*this\.constants/,
    );
    expect(() => gpuCell({ stateSize: 0, inputSize: 1, step: (h, _x, i) => h[i] })).toThrow(/stateSize/);
  });
});

for (const probe of probes) {
  describe(`gpuCell evaluated by gpu.js ${probe.mode}`, () => {
    it.runIf(probe.ran)('f and diagonal for every (b, t) equal the CPU evaluation (float32)', async () => {
      const backend = await createGpuJsBackend({ mode: probe.mode });
      try {
        const n = 3;
        const B = 2;
        const T = 37;
        const cell = coupledCell(n);
        const states = random(5, B * T * n, 1.5);
        const inputs = random(6, B * T * n, 1.5);
        const h0 = random(7, B * n, 1);
        const r = await cell.evaluate(backend.gpu, { batch: B, length: T, states, inputs, h0 });
        expect(r.ranOn).toBe(probe.ranOn);
        let err = 0;
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++) {
            const prev =
              t === 0 ? h0.subarray(b * n, b * n + n) : states.subarray((b * T + t - 1) * n, (b * T + t) * n);
            const x = inputs.subarray((b * T + t) * n, (b * T + t + 1) * n);
            for (let i = 0; i < n; i++) {
              const ref = reference(prev, x, n, i);
              const o = (b * T + t) * n + i;
              err = Math.max(
                err,
                Math.abs(r.f[o] - ref.f),
                Math.abs((r.diagonal?.[o] ?? Number.NaN) - ref.d),
              );
            }
          }
        expect(err).toBeLessThan(1e-5);
        expect(r.jacobian).toBeNull();
        // The dense Jacobian kernel against the CPU denseJacobian of the same source, in float64.
        const dc = denseCell(n);
        const rd = await dc.evaluate(backend.gpu, { batch: B, length: T, states, inputs, h0 });
        const f = new Float64Array(n);
        const jac = new Float64Array(n * n);
        let jerr = 0;
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++) {
            const prev = Float64Array.from(
              t === 0 ? h0.subarray(b * n, b * n + n) : states.subarray((b * T + t - 1) * n, (b * T + t) * n),
            );
            const x = Float64Array.from(inputs.subarray((b * T + t) * n, (b * T + t + 1) * n));
            dc.denseJacobian?.(prev, 0, x, 0, f, 0, jac, 0);
            for (let e = 0; e < n * n; e++)
              jerr = Math.max(
                jerr,
                Math.abs((rd.jacobian?.[(b * T + t) * n * n + e] ?? Number.NaN) - jac[e]),
              );
            for (let i = 0; i < n; i++)
              jerr = Math.max(
                jerr,
                Math.abs((rd.diagonal?.[(b * T + t) * n + i] ?? Number.NaN) - jac[i * n + i]),
              );
          }
        expect(jerr).toBeLessThan(1e-5);
      } finally {
        await backend.dispose();
      }
    });
    if (!probe.ran) it.skip(`unavailable here: ${probe.reason}`, () => {});
  });
}

const device = probes.find((p) => p.ran);
describe('gpuCell property: device evaluation = CPU Cell evaluation', () => {
  it.runIf(device)(`random constants and shapes on ${device?.mode}`, async () => {
    if (!device) return;
    const backend = await createGpuJsBackend({ mode: device.mode });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            a: fc.double({ min: -1.5, max: 1.5, noNaN: true }),
            c: fc.double({ min: -1.5, max: 1.5, noNaN: true }),
            n: fc.integer({ min: 1, max: 4 }),
            B: fc.integer({ min: 1, max: 2 }),
            T: fc.integer({ min: 1, max: 20 }),
            seed: fc.integer({ min: 1, max: 2 ** 30 }),
          }),
          async ({ a, c, n, B, T, seed }) => {
            const cell = gpuCell({
              stateSize: n,
              inputSize: 1,
              constants: { a, c, n },
              step: function (h, x, i) {
                return (
                  Math.sin(this.constants.a * h[i]) + this.constants.c * h[(i + 1) % this.constants.n] * x[0]
                );
              },
              jacobian: function (h, x, i, j) {
                let w = 0;
                if (j === i) w += this.constants.a * Math.cos(this.constants.a * h[i]);
                if (j === (i + 1) % this.constants.n) w += this.constants.c * x[0];
                return w;
              },
            });
            const states = random(seed, B * T * n, 2);
            const inputs = random(seed + 1, B * T, 2);
            const r = await cell.evaluate(backend.gpu, { batch: B, length: T, states, inputs });
            const f = new Float64Array(n);
            const jac = new Float64Array(n * n);
            let err = 0;
            for (let b = 0; b < B; b++)
              for (let t = 0; t < T; t++) {
                const prev = new Float64Array(n);
                if (t > 0) prev.set(states.subarray((b * T + t - 1) * n, (b * T + t) * n));
                cell.denseJacobian?.(prev, 0, Float64Array.of(inputs[b * T + t]), 0, f, 0, jac, 0);
                for (let i = 0; i < n; i++) {
                  err = Math.max(err, Math.abs(r.f[(b * T + t) * n + i] - f[i]));
                  err = Math.max(
                    err,
                    Math.abs((r.diagonal?.[(b * T + t) * n + i] ?? Number.NaN) - jac[i * n + i]),
                  );
                  for (let j = 0; j < n; j++)
                    err = Math.max(
                      err,
                      Math.abs((r.jacobian?.[((b * T + t) * n + i) * n + j] ?? Number.NaN) - jac[i * n + j]),
                    );
                }
              }
            expect(err).toBeLessThan(2e-5);
          },
        ),
        { numRuns: 8 },
      );
    } finally {
      await backend.dispose();
    }
  });
});
