import { zerosLike } from '@antler/core';
import { ivpGradients, solveIVP, type VectorField } from '@antler/solvers';
import { describe, expect, it } from 'vitest';
import {
  createHamiltonianVectorField,
  createMlpVectorField,
  createRandom,
  ODE_ACTIVATIONS,
  type OdeActivation,
} from '../src/index.js';

/** Central differences of a vector function, in the test: column j of ∂g/∂u. */
function fdJacobian(g: (u: Float64Array) => Float64Array, u: Float64Array, h = 1e-6): Float64Array[] {
  const cols: Float64Array[] = [];
  for (let j = 0; j < u.length; j++) {
    const up = Float64Array.from(u);
    const um = Float64Array.from(u);
    up[j] += h;
    um[j] -= h;
    const gp = g(up);
    const gm = g(um);
    cols.push(gp.map((v, i) => (v - gm[i]) / (2 * h)));
  }
  return cols;
}

const empty = new Float64Array(0);

describe('MLP vector field', () => {
  const smooth = ODE_ACTIVATIONS.filter((a) => a !== 'relu');

  it.each(smooth)('dense and diagonal Jacobians match finite differences (%s)', (activation) => {
    const field = createMlpVectorField({
      stateSize: 3,
      inputSize: 2,
      hidden: [7, 5],
      activation,
      timeFeature: true,
      seed: 11,
    });
    const rng = createRandom(5);
    const y = rng.fillNormal(new Float64Array(3));
    const x = rng.fillNormal(new Float64Array(2));
    const t = 0.7;
    const f = new Float64Array(3);
    const jac = new Float64Array(9);
    field.denseJacobian(y, 0, x, 0, t, f, 0, jac, 0);
    const cols = fdJacobian((u) => {
      const o = new Float64Array(3);
      field.evaluate(u, 0, x, 0, t, o, 0);
      return o;
    }, y);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(jac[i * 3 + j]).toBeCloseTo(cols[j][i], 8);
    const diag = new Float64Array(3);
    const f2 = new Float64Array(3);
    field.diagonalJacobian(y, 0, x, 0, t, f2, 0, diag, 0);
    for (let i = 0; i < 3; i++) expect(diag[i]).toBe(jac[i * 4]);
    expect(Array.from(f2)).toEqual(Array.from(f));
  });

  it('∂f/∂t matches finite differences in t (timeFeature) and is zero for autonomous fields', () => {
    const field = createMlpVectorField({
      stateSize: 2,
      inputSize: 1,
      hidden: [6, 5],
      activation: 'sin',
      timeFeature: true,
      seed: 6,
    });
    expect(field.autonomous).toBe(false);
    const y = new Float64Array([0.3, -0.7]);
    const x = new Float64Array([0.4]);
    const dt = new Float64Array(2);
    field.timeDerivative(y, 0, x, 0, 1.1, dt, 0);
    const fp = new Float64Array(2);
    const fm = new Float64Array(2);
    field.evaluate(y, 0, x, 0, 1.1 + 1e-6, fp, 0);
    field.evaluate(y, 0, x, 0, 1.1 - 1e-6, fm, 0);
    for (let i = 0; i < 2; i++) expect(dt[i]).toBeCloseTo((fp[i] - fm[i]) / 2e-6, 8);
    expect(Math.abs(dt[0]) + Math.abs(dt[1])).toBeGreaterThan(1e-3);
    const plain = createMlpVectorField({ stateSize: 2, hidden: [4], seed: 6 });
    expect(plain.autonomous).toBe(true);
    plain.timeDerivative(y, 0, empty, 0, 0, dt, 0);
    expect(Array.from(dt)).toEqual([0, 0]);
  });

  it('relu Jacobian equals finite differences away from kinks, with mixed activations', () => {
    const act: OdeActivation[] = ['relu', 'sin'];
    const field = createMlpVectorField({ stateSize: 2, hidden: [6, 4], activation: act, seed: 2 });
    const y = new Float64Array([0.31, -0.47]);
    const jac = new Float64Array(4);
    field.denseJacobian(y, 0, empty, 0, 0, new Float64Array(2), 0, jac, 0);
    const cols = fdJacobian((u) => {
      const o = new Float64Array(2);
      field.evaluate(u, 0, empty, 0, 0, o, 0);
      return o;
    }, y);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(jac[i * 2 + j]).toBeCloseTo(cols[j][i], 7);
  });

  it('matches an independent forward formula for a one-hidden-layer tanh net', () => {
    const field = createMlpVectorField({ stateSize: 2, hidden: [3], seed: 4 });
    const W0 = field.parameters['layers.0.weight'].data;
    const b0 = field.parameters['layers.0.bias'].data;
    const W1 = field.parameters['layers.1.weight'].data;
    const b1 = field.parameters['layers.1.bias'].data;
    const y = [0.2, -1.1];
    const hid = [0, 1, 2].map((r) => Math.tanh(W0[r * 2] * y[0] + W0[r * 2 + 1] * y[1] + b0[r]));
    const want = [0, 1].map((i) => b1[i] + hid.reduce((s, h, k) => s + W1[i * 3 + k] * h, 0));
    const out = new Float64Array(2);
    field.evaluate(Float64Array.from(y), 0, empty, 0, 0, out, 0);
    expect(out[0]).toBeCloseTo(want[0], 14);
    expect(out[1]).toBeCloseTo(want[1], 14);
  });

  it('VJP matches finite differences for y, x and every parameter, and accumulates', () => {
    const field = createMlpVectorField({
      stateSize: 3,
      inputSize: 2,
      hidden: [5, 4],
      activation: 'softplus',
      seed: 9,
    });
    const rng = createRandom(1);
    const y = rng.fillNormal(new Float64Array(3));
    const x = rng.fillNormal(new Float64Array(2));
    const g = rng.fillNormal(new Float64Array(3));
    const loss = () => {
      const o = new Float64Array(3);
      field.evaluate(y, 0, x, 0, 0, o, 0);
      return o.reduce((s, v, i) => s + v * g[i], 0);
    };
    const gy = new Float64Array(3).fill(1);
    const gx = new Float64Array(2);
    const gp = zerosLike(field.parameters);
    field.vjp(y, 0, x, 0, 0, g, 0, gy, 0, gx, 0, gp);
    const fd = (arr: Float64Array, i: number) => {
      const old = arr[i];
      arr[i] = old + 1e-6;
      const p = loss();
      arr[i] = old - 1e-6;
      const m = loss();
      arr[i] = old;
      return (p - m) / 2e-6;
    };
    for (let i = 0; i < 3; i++) expect(gy[i] - 1).toBeCloseTo(fd(y, i), 7);
    for (let i = 0; i < 2; i++) expect(gx[i]).toBeCloseTo(fd(x, i), 7);
    for (const [name, t] of Object.entries(field.parameters))
      for (let i = 0; i < t.data.length; i++) expect(gp[name][i]).toBeCloseTo(fd(t.data, i), 7);
  });

  it('ivpGradients (continuous adjoint) matches finite differences of a loss through dopri5, for y0 and θ', () => {
    const field = createMlpVectorField({
      stateSize: 2,
      inputSize: 1,
      hidden: [5],
      activation: 'tanh',
      timeFeature: true,
      seed: 13,
    });
    const times = Float64Array.from([0, 0.3, 0.5, 1, 1.4, 2]);
    const inputs = Float64Array.from([0.2, -0.1, 0.4, 0.3, -0.2, 0.1]);
    const rng = createRandom(2);
    const c = rng.fillNormal(new Float64Array(12));
    const y0 = Float64Array.from([0.5, -0.4]);
    const opts = { method: 'dopri5', atol: 1e-12, rtol: 1e-12 } as const;
    const loss = () => {
      const r = solveIVP(field, y0, times, inputs, opts);
      let l = 0;
      for (let i = 0; i < r.states.length; i++) l += r.states[i] * c[i];
      return l;
    };
    const fwd = solveIVP(field, y0, times, inputs, opts);
    const g = ivpGradients(field, times, fwd.states, c, inputs, { atol: 1e-12, rtol: 1e-12 });
    const fd = (arr: Float64Array, i: number) => {
      const old = arr[i];
      arr[i] = old + 1e-6;
      const p = loss();
      arr[i] = old - 1e-6;
      const m = loss();
      arr[i] = old;
      return (p - m) / 2e-6;
    };
    for (let i = 0; i < 2; i++) expect(g.y0[i]).toBeCloseTo(fd(y0, i), 6);
    for (const [name, t] of Object.entries(field.parameters))
      for (let i = 0; i < t.data.length; i++) expect(g.parameters[name][i]).toBeCloseTo(fd(t.data, i), 6);
    expect(Math.abs(g.parameters['layers.0.weight'][0])).toBeGreaterThan(1e-4);
  });

  it('rejects bad shapes with typed errors', () => {
    expect(() => createMlpVectorField({ stateSize: 0, hidden: [3] })).toThrow(/stateSize/);
    expect(() => createMlpVectorField({ stateSize: 2, hidden: [3], activation: ['tanh', 'sin'] })).toThrow(
      /activations/,
    );
    expect(() =>
      createMlpVectorField({
        stateSize: 2,
        hidden: [3],
        parameters: { 'layers.0.weight': { shape: [2, 2], data: new Float64Array(4) } },
      }),
    ).toThrow(/layers\.0\.weight/);
  });

  it('is a solvers VectorField: DEER on a random NeuralODE matches dopri5', () => {
    const field: VectorField = createMlpVectorField({ stateSize: 4, hidden: [16, 16], seed: 21 });
    const times = Float64Array.from({ length: 401 }, (_, i) => (2 * i) / 400);
    const y0 = [0.5, -0.2, 0.1, 0.3];
    const deer = solveIVP(field, y0, times);
    const ref = solveIVP(field, y0, times, null, { method: 'dopri5', atol: 1e-12, rtol: 1e-12 });
    expect(deer.converged).toBe(true);
    let err = 0;
    for (let i = 0; i < ref.states.length; i++) err = Math.max(err, Math.abs(deer.states[i] - ref.states[i]));
    expect(err).toBeLessThan(1e-5);
  });
});

describe('Hamiltonian vector field', () => {
  const field = createHamiltonianVectorField({
    stateSize: 4,
    hidden: [12, 8],
    activation: ['softplus', 'tanh'],
    seed: 3,
  });
  const y = new Float64Array([0.4, -0.3, 0.2, 0.9]);

  it('f = S∇H with ∇H from finite differences of H', () => {
    const grad = fdJacobian((u) => new Float64Array([field.hamiltonian(u)]), y).map((c) => c[0]);
    const f = new Float64Array(4);
    field.evaluate(y, 0, empty, 0, 0, f, 0);
    expect(f[0]).toBeCloseTo(grad[2], 8);
    expect(f[1]).toBeCloseTo(grad[3], 8);
    expect(f[2]).toBeCloseTo(-grad[0], 8);
    expect(f[3]).toBeCloseTo(-grad[1], 8);
  });

  it('Jacobian S∇²H and its diagonal match finite differences of f; ∇²H is symmetric', () => {
    const jac = new Float64Array(16);
    field.denseJacobian(y, 0, empty, 0, 0, new Float64Array(4), 0, jac, 0);
    const cols = fdJacobian((u) => {
      const o = new Float64Array(4);
      field.evaluate(u, 0, empty, 0, 0, o, 0);
      return o;
    }, y);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(jac[i * 4 + j]).toBeCloseTo(cols[j][i], 7);
    const hess = new Float64Array(16);
    field.hessian(y, 0, hess, 0);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) expect(hess[i * 4 + j]).toBeCloseTo(hess[j * 4 + i], 13);
    const diag = new Float64Array(4);
    field.diagonalJacobian(y, 0, empty, 0, 0, new Float64Array(4), 0, diag, 0);
    for (let i = 0; i < 4; i++) expect(diag[i]).toBeCloseTo(jac[i * 5], 14);
  });

  it('VJP matches finite differences for y and every parameter', () => {
    const g = new Float64Array([0.3, -1.2, 0.5, 0.8]);
    const loss = () => {
      const o = new Float64Array(4);
      field.evaluate(y, 0, empty, 0, 0, o, 0);
      return o.reduce((s, v, i) => s + v * g[i], 0);
    };
    const gy = new Float64Array(4);
    const gp = zerosLike(field.parameters);
    field.vjp(y, 0, empty, 0, 0, g, 0, gy, 0, null, 0, gp);
    const fd = (arr: Float64Array, i: number) => {
      const old = arr[i];
      arr[i] = old + 1e-6;
      const p = loss();
      arr[i] = old - 1e-6;
      const m = loss();
      arr[i] = old;
      return (p - m) / 2e-6;
    };
    for (let i = 0; i < 4; i++) expect(gy[i]).toBeCloseTo(fd(y, i), 7);
    for (const [name, t] of Object.entries(field.parameters))
      for (let i = 0; i < t.data.length; i++) expect(gp[name][i]).toBeCloseTo(fd(t.data, i), 7);
  });

  it('conserves H along dopri5 trajectories; DEER matches dopri5 on the same flow', () => {
    const times = Float64Array.from({ length: 501 }, (_, i) => (5 * i) / 500);
    const y0 = [0.4, -0.3, 0.2, 0.9];
    const r = solveIVP(field, y0, times, null, { method: 'dopri5', atol: 1e-12, rtol: 1e-12 });
    const h0 = field.hamiltonian(Float64Array.from(y0));
    let drift = 0;
    let motion = 0;
    for (let i = 0; i < times.length; i++) {
      drift = Math.max(drift, Math.abs(field.hamiltonian(r.states, 4 * i) - h0));
      motion = Math.max(motion, Math.abs(r.states[4 * i] - y0[0]));
    }
    expect(motion).toBeGreaterThan(1e-3); // the state does move
    expect(drift).toBeLessThan(1e-9);
    const deer = solveIVP(field, y0, times);
    expect(deer.converged).toBe(true);
    let err = 0;
    for (let i = 0; i < r.states.length; i++) err = Math.max(err, Math.abs(deer.states[i] - r.states[i]));
    expect(err).toBeLessThan(1e-4);
  });

  it('ivpGradients through the Hamiltonian flow matches finite differences (y0 and θ)', () => {
    const small = createHamiltonianVectorField({ stateSize: 2, hidden: [4], activation: 'tanh', seed: 8 });
    const times = Float64Array.from([0, 0.5, 1.5]);
    const c = createRandom(4).fillNormal(new Float64Array(6));
    const y0 = Float64Array.from([0.3, -0.6]);
    const opts = { method: 'dopri5', atol: 1e-12, rtol: 1e-12 } as const;
    const loss = () => {
      const r = solveIVP(small, y0, times, null, opts);
      let l = 0;
      for (let i = 0; i < 6; i++) l += r.states[i] * c[i];
      return l;
    };
    const g = ivpGradients(small, times, solveIVP(small, y0, times, null, opts).states, c, null, {
      atol: 1e-12,
      rtol: 1e-12,
    });
    const fd = (arr: Float64Array, i: number) => {
      const old = arr[i];
      arr[i] = old + 1e-6;
      const p = loss();
      arr[i] = old - 1e-6;
      const m = loss();
      arr[i] = old;
      return (p - m) / 2e-6;
    };
    for (let i = 0; i < 2; i++) expect(g.y0[i]).toBeCloseTo(fd(y0, i), 6);
    for (const [name, t] of Object.entries(small.parameters))
      for (let i = 0; i < t.data.length; i++) expect(g.parameters[name][i]).toBeCloseTo(fd(t.data, i), 6);
  });

  it('rejects an odd state size', () => {
    expect(() => createHamiltonianVectorField({ stateSize: 3, hidden: [4] })).toThrow(/stateSize/);
  });
});
