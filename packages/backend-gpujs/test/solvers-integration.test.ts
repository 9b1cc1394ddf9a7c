/**
 * The backend through the library's `solve` (@antler/solvers): a gpuCell solved on the device, the
 * gpu.js scans under the host Newton loop for a plain Cell, and the CPU fallback for what gpu.js lacks.
 */
import type { Cell } from '@antler/core';
import { solve } from '@antler/solvers';
import { afterAll, describe, expect, it } from 'vitest';
import { createGpuJsBackend, type GpuJsBackend, gpuCell } from '../src/index.js';
import { probes } from './modes.js';

const n = 3;
const spec = {
  stateSize: n,
  inputSize: n,
  constants: { a: 0.7, c: -0.4, n },
  step(this: { constants: Record<string, number> }, h: ArrayLike<number>, x: ArrayLike<number>, i: number) {
    return Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
  },
  diagonal(
    this: { constants: Record<string, number> },
    h: ArrayLike<number>,
    x: ArrayLike<number>,
    i: number,
  ) {
    const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
    return this.constants.a * (1 - y * y);
  },
};
const cell = gpuCell(spec);
/** The same cell as a plain core Cell (not compiled by gpuCell), so it cannot run on the device. */
const plain: Cell = {
  kind: 'plain-coupled',
  stateSize: n,
  inputSize: n,
  step: (h, ho, x, xo, out, oo) => cell.step(h, ho, x, xo, out, oo),
  diagonalJacobian: (h, ho, x, xo, f, fo, d, dO) => cell.diagonalJacobian?.(h, ho, x, xo, f, fo, d, dO),
};

function sequential(B: number, T: number, inputs: ArrayLike<number>): Float64Array {
  const out = new Float64Array(B * T * n);
  for (let b = 0; b < B; b++) {
    let h = [0, 0, 0];
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * n;
      h = h.map((_, i) => Math.tanh(0.7 * h[i] - 0.4 * h[(i + 1) % n] + inputs[o + i]));
      out.set(h, o);
    }
  }
  return out;
}

const maxError = (x: ArrayLike<number>, ref: Float64Array) => {
  let e = 0;
  for (let k = 0; k < ref.length; k++) e = Math.max(e, Math.abs(x[k] - ref[k]));
  return e;
};

const B = 2;
const T = 48;
const inputs32 = new Float32Array(B * T * n).map((_, k) => 1.5 * Math.sin(0.37 * k));
const ref = sequential(B, T, inputs32);

for (const probe of probes.filter((p) => p.ran)) {
  describe(`solve() with the gpu.js ${probe.mode} backend`, () => {
    let backend: GpuJsBackend | undefined;
    const get = async () => {
      backend ??= await createGpuJsBackend({ mode: probe.mode });
      return backend;
    };
    afterAll(async () => backend?.dispose());

    it('a gpuCell in float32 runs on the device (DeviceSolver) and matches the sequential loop', async () => {
      const r = await solve(cell, inputs32, {
        method: 'quasi-deer',
        dtype: 'float32',
        batch: B,
        backend: await get(),
      });
      expect(r.backend).toBe(`gpujs-${probe.ranOn}`);
      expect(r.converged).toBe(true);
      expect(maxError(r.states, ref)).toBeLessThan(5e-3);
    });

    it('a plain Cell runs the host Newton loop over the gpu.js scans (float32)', async () => {
      const r = await solve(plain, inputs32, {
        method: 'quasi-deer',
        dtype: 'float32',
        batch: B,
        backend: await get(),
      });
      expect(r.backend).toBe(`gpujs-${probe.ranOn}`);
      expect(r.events.filter((e) => e.kind === 'backend-fallback')).toEqual([]);
      expect(r.converged).toBe(true);
      expect(maxError(r.states, ref)).toBeLessThan(5e-3);
    });

    it('float64 (no gpu.js support) falls back to the CPU with an event, and the gpuCell serves as a CPU Cell', async () => {
      const r = await solve(cell, Float64Array.from(inputs32), {
        method: 'quasi-deer',
        batch: B,
        atol: 1e-11,
        rtol: 0,
        backend: await get(),
      });
      expect(r.backend).not.toContain('gpujs');
      expect(r.events.some((e) => e.kind === 'backend-fallback')).toBe(true);
      expect(r.converged).toBe(true);
      expect(maxError(r.states, ref)).toBeLessThan(1e-9);
    });
  });
}
