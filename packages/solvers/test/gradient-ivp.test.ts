import { ConvergenceError, type FloatArray, type TensorMap } from '@antler/core';
import { describe, expect, it } from 'vitest';
import {
  differentiateIVPTrajectory,
  solveIVP,
  solveIVPAndDifferentiate,
  type VectorField,
} from '../src/index.js';

const linspace = (a: number, b: number, T: number) =>
  Float64Array.from({ length: T }, (_, i) => a + ((b - a) * i) / (T - 1));

/** dy/dt = a·y (scalar), with its Jacobian and VJP. */
function growth(a: number): VectorField & { parameters: TensorMap } {
  const p = { a: { shape: [1], data: Float64Array.of(a) } };
  return {
    stateSize: 1,
    inputSize: 0,
    autonomous: true,
    parameters: p,
    evaluate: (y, yo, _x, _xo, _t, out, oo) => {
      out[oo] = p.a.data[0] * y[yo];
    },
    denseJacobian: (y, yo, _x, _xo, _t, f, fo, j, jo) => {
      f[fo] = p.a.data[0] * y[yo];
      j[jo] = p.a.data[0];
    },
    vjp: (y, yo, _x, _xo, _t, g, go, gy, gyo, _gx, _gxo, gp) => {
      gy[gyo] += p.a.data[0] * g[go];
      if (gp) gp.a[0] += g[go] * y[yo];
    },
  };
}

/** A forced damped pendulum: y0' = y1, y1' = −k sin y0 − c y1 + x(t). */
function pendulum(k: number, c: number): VectorField & { parameters: TensorMap } {
  const p = { k: { shape: [1], data: Float64Array.of(k) }, c: { shape: [1], data: Float64Array.of(c) } };
  const ev = (y: FloatArray, yo: number, x: FloatArray, xo: number, out: FloatArray, oo: number) => {
    out[oo] = y[yo + 1];
    out[oo + 1] = -p.k.data[0] * Math.sin(y[yo]) - p.c.data[0] * y[yo + 1] + x[xo];
  };
  return {
    stateSize: 2,
    inputSize: 1,
    autonomous: true,
    parameters: p,
    evaluate: (y, yo, x, xo, _t, out, oo) => ev(y, yo, x, xo, out, oo),
    denseJacobian: (y, yo, x, xo, _t, f, fo, j, jo) => {
      ev(y, yo, x, xo, f, fo);
      j[jo] = 0;
      j[jo + 1] = 1;
      j[jo + 2] = -p.k.data[0] * Math.cos(y[yo]);
      j[jo + 3] = -p.c.data[0];
    },
    vjp: (y, yo, _x, _xo, _t, g, go, gy, gyo, gx, gxo, gp) => {
      gy[gyo] += -g[go + 1] * p.k.data[0] * Math.cos(y[yo]);
      gy[gyo + 1] += g[go] - g[go + 1] * p.c.data[0];
      if (gx) gx[gxo] += g[go + 1];
      if (gp) {
        gp.k[0] += -g[go + 1] * Math.sin(y[yo]);
        gp.c[0] += -g[go + 1] * y[yo + 1];
      }
    },
  };
}

describe('differentiateIVPTrajectory', () => {
  it('dy/dt = a y, L = Σ_i w_i y(t_i): ∂L/∂a and ∂L/∂y0 equal the closed form to rounding', () => {
    const a = -0.7;
    const y0 = 1.3;
    const tEnd = 2;
    const errors: number[] = [];
    for (const T of [21, 41, 81]) {
      const field = growth(a);
      const times = linspace(0, tEnd, T);
      const g = Float64Array.from(times, (t) => 1 + Math.cos(t));
      const { gradient } = solveIVPAndDifferentiate(field, [y0], times, null, g, { method: 'deer' });
      // Constant J: the transitions are exact, so ∂L/∂y0 = Σ w_i e^{a t_i} to rounding.
      const dy0 = times.reduce((acc, t, i) => acc + g[i] * Math.exp(a * t), 0);
      expect(gradient.y0[0]).toBeCloseTo(dy0, 10);
      const da = times.reduce((acc, t, i) => acc + g[i] * t * y0 * Math.exp(a * t), 0);
      errors.push(Math.abs(gradient.params.a[0] - da) / Math.abs(da));
    }
    // For a linear field λ(t)·y(t) is constant on each interval, so the trapezoidal quadrature is exact too.
    for (const e of errors) expect(e).toBeLessThan(1e-12);
  });

  const pendulumErrors = (forcing: number, sizes: number[]): number[] => {
    const tEnd = 5;
    const errs: number[] = [];
    for (const T of sizes) {
      const times = linspace(0, tEnd, T);
      const x = Float64Array.from(times, (t) => forcing * Math.cos(1.7 * t));
      const g = Float64Array.from({ length: 2 * T }, (_, i) => Math.sin(0.37 * i) / T);
      const y0 = Float64Array.of(0.8, -0.2);
      const field = pendulum(1.4, 0.3);
      const { gradient, solve } = solveIVPAndDifferentiate(field, y0, times, x, g, { method: 'deer' });
      expect(solve.converged).toBe(true);
      expect(gradient.order).toBe(2);
      const loss = (): number => {
        const s = solveIVP(field, y0, times, x, { method: 'dopri5', atol: 1e-12, rtol: 1e-12 }).states;
        let l = 0;
        for (let i = 0; i < g.length; i++) l += g[i] * s[i];
        return l;
      };
      const fd = (arr: Float64Array, i: number): number => {
        const v = arr[i];
        const h = 1e-5;
        arr[i] = v + h;
        const up = loss();
        arr[i] = v - h;
        const down = loss();
        arr[i] = v;
        return (up - down) / (2 * h);
      };
      const pairs: [number, number][] = [
        [gradient.params.k[0], fd(field.parameters.k.data, 0)],
        [gradient.params.c[0], fd(field.parameters.c.data, 0)],
        [gradient.y0[0], fd(y0, 0)],
        [gradient.y0[1], fd(y0, 1)],
        [gradient.inputs[Math.floor(T / 2)], fd(x, Math.floor(T / 2))],
      ];
      const worst = Math.max(...pairs.map(([an, num]) => Math.abs(an - num) / Math.max(1e-3, Math.abs(num))));
      errs.push(worst);
    }
    return errs;
  };

  it('pendulum: ∂L/∂(k, c, y0, x) agree with finite differences of dopri5 and converge at order ≥ 2', () => {
    const errs = pendulumErrors(0, [101, 201, 401]);
    console.log(
      `IVP adjoint, pendulum: worst relative gradient error vs FD of dopri5 at T = 101, 201, 401: ${errs.map((e) => e.toExponential(2)).join(', ')}; measured order ${Math.log2(errs[0] / errs[1]).toFixed(2)}, ${Math.log2(errs[1] / errs[2]).toFixed(2)}`,
    );
    expect(Math.log2(errs[0] / errs[1])).toBeGreaterThan(1.8);
    expect(Math.log2(errs[1] / errs[2])).toBeGreaterThan(1.8);
    expect(errs[2]).toBeLessThan(1e-4);
  });

  it('forced pendulum (inputs sampled at the times): gradients within 5e-3 of finite differences of dopri5', () => {
    // DEER's forward pass models sampled inputs by central slopes, dopri5 by linear interpolation: the
    // two continuous problems differ at O(Δt²), which bounds this comparison.
    const [err] = pendulumErrors(0.3, [201]);
    expect(err).toBeLessThan(5e-3);
  });

  it('refuses an unconverged solve and rejects fields without Jacobian or VJP', () => {
    const times = linspace(0, 5, 50);
    const g = new Float64Array(100).fill(1);
    expect(() =>
      solveIVPAndDifferentiate(pendulum(3, 0), [2.5, 0], times, new Float64Array(50), g, {
        method: 'quasi-deer',
        maxIter: 1,
      }),
    ).toThrow(ConvergenceError);
    const { vjp: _v, ...noVjp } = pendulum(1, 0);
    const s = new Float64Array(100);
    expect(() => differentiateIVPTrajectory(noVjp, times, new Float64Array(50), s, g)).toThrow(/needs vjp/);
    expect(() =>
      differentiateIVPTrajectory(pendulum(1, 0), times, new Float64Array(50), s, g.subarray(1)),
    ).toThrow(/cotangent/);
  });
});
