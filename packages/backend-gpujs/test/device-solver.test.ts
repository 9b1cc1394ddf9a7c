/** DEER and quasi-DEER on the gpu.js device for gpuCells, against the plain sequential float64 loop. */
import { ConvergenceError } from '@antler/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createGpuJsBackend,
  deviceSolveUnsupported,
  type GpuJsBackend,
  gpuCell,
  solveOnGpuJs,
} from '../src/index.js';
import { probes } from './modes.js';

/** f_i = tanh(0.7 h_i − 0.4 h_{(i+1) mod n} + x_i): coupled, so the diagonal Jacobian is an approximation. */
const cell = gpuCell({
  stateSize: 3,
  inputSize: 3,
  constants: { a: 0.7, c: -0.4, n: 3 },
  step(h, x, i) {
    return Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
  },
  diagonal(h, x, i) {
    const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
    return this.constants.a * (1 - y * y);
  },
});

/** The same recurrence for any n, with its dense Jacobian (for DEER). */
function denseCell(n: number) {
  return gpuCell({
    stateSize: n,
    inputSize: n,
    constants: { a: 0.7, c: -0.4, n },
    step(h, x, i) {
      return Math.tanh(this.constants.a * h[i] + this.constants.c * h[(i + 1) % this.constants.n] + x[i]);
    },
    jacobian(h, x, i, j) {
      const next = (i + 1) % this.constants.n;
      const y = Math.tanh(this.constants.a * h[i] + this.constants.c * h[next] + x[i]);
      let w = 0;
      if (j === i) w += this.constants.a;
      if (j === next) w += this.constants.c;
      return w * (1 - y * y);
    },
  });
}

/** Independent float64 sequential loop of the same recurrence. */
function sequential(B: number, T: number, inputs: Float32Array, h0: Float32Array, n = 3): Float64Array {
  const out = new Float64Array(B * T * n);
  for (let b = 0; b < B; b++) {
    let h = Array.from(h0.subarray(b * n, b * n + n), Number);
    for (let t = 0; t < T; t++) {
      const x = inputs.subarray((b * T + t) * n, (b * T + t + 1) * n);
      h = h.map((_, i) => Math.tanh(0.7 * h[i] - 0.4 * h[(i + 1) % n] + x[i]));
      out.set(h, (b * T + t) * n);
    }
  }
  return out;
}

function inputsFor(B: number, T: number, n = 3): Float32Array {
  const x = new Float32Array(B * T * n);
  for (let k = 0; k < x.length; k++) x[k] = Math.sin(0.37 * k) * 1.5;
  return x;
}

for (const probe of probes) {
  describe(`DEER and quasi-DEER on the gpu.js device: ${probe.mode}`, () => {
    if (!probe.ran) {
      it.skip(`unavailable here: ${probe.reason}`, () => {});
      return;
    }
    let backend: GpuJsBackend | undefined;
    const get = async () => {
      backend ??= await createGpuJsBackend({ mode: probe.mode });
      return backend;
    };
    afterAll(async () => backend?.dispose());

    it('converges to the sequential trajectory (float32 tolerance), residual-verified', async () => {
      const B = 2;
      const T = 50;
      const inputs = inputsFor(B, T);
      const h0 = Float32Array.of(0.5, -0.5, 0.25, -1, 1, 0);
      const progress: number[] = [];
      const r = await (await get()).solveOnDevice(cell, inputs, {
        method: 'quasi-deer',
        dtype: 'float32',
        batch: B,
        h0,
        onProgress: (p) => progress.push(p.iteration),
      });
      expect(r).not.toBeNull();
      if (!r) return;
      expect(r.converged).toBe(true);
      expect(r.iterations).toBeGreaterThan(1);
      expect(r.iterations).toBeLessThanOrEqual(T);
      expect(progress.length).toBe(r.history.length);
      expect(r.history.at(-1)?.maxResidual).toBe(r.residual);
      const ref = sequential(B, T, inputs, h0);
      let err = 0;
      for (let k = 0; k < ref.length; k++) err = Math.max(err, Math.abs(r.states[k] - ref[k]));
      // Converged means |r_t| ≤ 1e-4 + 1e-3|s_t| per step; errors accumulate through the contraction.
      expect(err).toBeLessThan(5e-3);
      expect(r.backend).toBe(`gpujs-${probe.ranOn}`);
      // The kernels ran where the backend said: no backend-fallback event.
      expect(r.events.filter((e) => e.kind === 'backend-fallback')).toEqual([]);
    });

    it('reports non-convergence: max-iterations event, ConvergenceError under throw, sequential fallback', async () => {
      const B = 1;
      const T = 40;
      const inputs = inputsFor(B, T);
      const h0 = new Float32Array(3);
      const base = { method: 'quasi-deer', dtype: 'float32', maxIter: 2 } as const;
      const r = await (await get()).solveOnDevice(cell, inputs, base);
      expect(r?.converged).toBe(false);
      expect(r?.events.some((e) => e.kind === 'max-iterations')).toBe(true);
      await expect(
        (await get()).solveOnDevice(cell, inputs, { ...base, onDivergence: 'throw' }),
      ).rejects.toThrow(ConvergenceError);
      const fb = await (await get()).solveOnDevice(cell, inputs, {
        ...base,
        onDivergence: 'fallback-sequential',
      });
      expect(fb?.converged).toBe(true);
      expect(fb?.events.some((e) => e.kind === 'fallback-sequential')).toBe(true);
      const ref = sequential(B, T, inputs, h0);
      for (let k = 0; k < ref.length; k++) expect(fb?.states[k]).toBeCloseTo(ref[k], 5);
    });

    it('autonomous linear cell (m = 0): matches the closed form 0.9^(t+1) h0 in ≤ 2 iterations', async () => {
      const decay = gpuCell({
        stateSize: 2,
        inputSize: 0,
        step: (h, _x, i) => 0.9 * h[i],
        diagonal: () => 0.9,
      });
      const T = 30;
      const h0 = Float32Array.of(1, -2);
      const r = await (await get()).solveOnDevice(decay, new Float32Array(0), {
        method: 'quasi-deer',
        dtype: 'float32',
        length: T,
        h0,
      });
      expect(r?.converged).toBe(true);
      expect(r?.iterations).toBeLessThanOrEqual(2);
      for (let t = 0; t < T; t++)
        for (let i = 0; i < 2; i++) expect(r?.states[t * 2 + i]).toBeCloseTo(0.9 ** (t + 1) * h0[i], 5);
    });

    for (const n of [1, 2, 4]) {
      it(`DEER (dense Jacobian, n = ${n}${n <= 2 ? ', chunked scan' : ', Hillis–Steele'}) converges to the sequential trajectory in fewer iterations than quasi-DEER`, async () => {
        const cellN = denseCell(n);
        const B = 2;
        const T = 40;
        const inputs = inputsFor(B, T, n);
        const h0 = new Float32Array(B * n).map((_, k) => 0.3 * k - 0.5);
        const opts = { dtype: 'float32', batch: B, h0 } as const;
        const deer = await (await get()).solveOnDevice(cellN, inputs, { ...opts, method: 'deer' });
        const quasi = await (await get()).solveOnDevice(cellN, inputs, { ...opts, method: 'quasi-deer' });
        expect(deer?.method).toBe('deer');
        expect(deer?.converged).toBe(true);
        expect(quasi?.converged).toBe(true);
        if (n > 1) expect(deer?.iterations ?? Infinity).toBeLessThan(quasi?.iterations ?? 0);
        const ref = sequential(B, T, inputs, h0, n);
        let err = 0;
        for (let k = 0; k < ref.length; k++)
          err = Math.max(err, Math.abs((deer?.states[k] ?? Number.NaN) - ref[k]));
        expect(err).toBeLessThan(5e-3);
      });
    }

    it('says so with a backend-fallback event when the kernels ran elsewhere than expected', async () => {
      const b = await get();
      const r = await solveOnGpuJs(
        b.gpu,
        b.name,
        cell,
        inputsFor(1, 8),
        { method: 'quasi-deer', dtype: 'float32' },
        'elsewhere',
      );
      const ev = r?.events.find((e) => e.kind === 'backend-fallback');
      expect(ev?.message).toContain(`ran this solve's kernels on '${probe.ranOn}', not 'elsewhere'`);
    });

    it('declines (returns null) what it cannot run on the device', async () => {
      const b = await get();
      const x = inputsFor(1, 4);
      expect(b.solveOnDevice(cell, x, { method: 'quasi-deer' })).toBeNull(); // float64 default
      expect(b.solveOnDevice(cell, x, { method: 'deer', dtype: 'float32' })).toBeNull(); // no jacobian
      expect(deviceSolveUnsupported(cell, { method: 'deer', dtype: 'float32' })).toMatch(/jacobian/);
      expect(b.solveOnDevice(cell, x, { method: 'elk', dtype: 'float32' })).toBeNull();
      const plain = { ...cell, step: cell.step };
      expect(b.solveOnDevice(plain, x, { method: 'quasi-deer', dtype: 'float32' })).toBeNull();
      expect(deviceSolveUnsupported(plain, { method: 'quasi-deer', dtype: 'float32' })).toMatch(
        /only cells made by gpuCell/,
      );
      // Too large for float32 thread indices: declined with the reason, not run wrongly.
      const huge = { length: 2 ** 22 * 3 } as unknown as Float32Array;
      expect(deviceSolveUnsupported(cell, { method: 'quasi-deer', dtype: 'float32' }, huge)).toMatch(
        /floats per kernel/,
      );
      expect(b.solveOnDevice(cell, huge, { method: 'quasi-deer', dtype: 'float32' })).toBeNull();
    });
  });
}
