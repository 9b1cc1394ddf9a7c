import { solveIVP, type VectorField } from '@antler/solvers';
import { describe, expect, it } from 'vitest';
import {
  allenCahnEquation,
  type Boundary,
  burgersEquation,
  createRandom,
  createTimeStepCell,
  fisherKppEquation,
  fitzHughNagumoEquation,
  type Grid,
  grid1d,
  grid2d,
  gridCoordinates,
  heatEquation,
  type MolSystem,
  type TimeScheme,
} from '../src/index.js';
import { fdJacobian, maxAbsDiff, sequentialRun } from './pde-helpers.js';

const none = new Float64Array(0);
const boundaries: Boundary[] = [
  { kind: 'dirichlet', value: 0.3 },
  { kind: 'neumann', flux: -0.2 },
  { kind: 'periodic' },
];
const schemes: TimeScheme[] = ['euler', 'rk4', 'backward-euler', 'crank-nicolson'];

function systems(grid: Grid): MolSystem[] {
  return [
    heatEquation(grid, 0.7),
    burgersEquation(grid, 0.05),
    allenCahnEquation(grid, 0.2),
    fisherKppEquation(grid, 0.1, 2),
    fitzHughNagumoEquation(grid, { du: 0.05, dv: 0.01 }),
  ];
}

function rhsOf(sys: MolSystem) {
  return (u: Float64Array) => {
    const o = new Float64Array(sys.size);
    sys.rhs(u, 0, o, 0);
    return o;
  };
}

function denseJacobian(sys: MolSystem, u: Float64Array): Float64Array {
  const n = sys.size;
  const coo = {
    size: n,
    rows: new Int32Array(sys.maxEntries),
    cols: new Int32Array(sys.maxEntries),
    values: new Float64Array(sys.maxEntries),
    count: 0,
  };
  sys.jacobian(u, 0, coo);
  const out = new Float64Array(n * n);
  for (let e = 0; e < coo.count; e++) out[coo.rows[e] * n + coo.cols[e]] += coo.values[e];
  return out;
}

describe('method-of-lines right-hand sides', () => {
  it('1-D heat with Dirichlet values matches the plain three-point formula', () => {
    const g = grid1d(6, 1, { kind: 'dirichlet', value: 0.3 });
    const sys = heatEquation(g, 0.7);
    const u = Float64Array.from([0.1, -0.4, 0.8, 0.2, 0.5, -0.1]);
    const out = new Float64Array(6);
    sys.rhs(u, 0, out, 0);
    const h = 1 / 7;
    const ext = [0.3, ...u, 0.3];
    for (let i = 0; i < 6; i++)
      expect(out[i]).toBeCloseTo((0.7 * (ext[i] - 2 * ext[i + 1] + ext[i + 2])) / (h * h), 10);
  });

  it('1-D periodic Burgers matches −(u²_{i+1} − u²_{i−1})/(4h) + ν(u_{i−1} − 2u_i + u_{i+1})/h²', () => {
    const g = grid1d(5, 2, { kind: 'periodic' });
    const sys = burgersEquation(g, 0.05);
    const u = Float64Array.from([0.3, -0.2, 0.9, 0.1, -0.6]);
    const out = new Float64Array(5);
    sys.rhs(u, 0, out, 0);
    const h = 2 / 5;
    for (let i = 0; i < 5; i++) {
      const l = u[(i + 4) % 5];
      const r = u[(i + 1) % 5];
      expect(out[i]).toBeCloseTo(-(r * r - l * l) / (4 * h) + (0.05 * (l - 2 * u[i] + r)) / (h * h), 12);
    }
  });

  it('2-D Neumann heat: ghost u_{−1} = u_0 + h·flux on every side', () => {
    const g = grid2d(3, 4, 1.5, 2, { kind: 'neumann', flux: 0.25 });
    const sys = heatEquation(g, 1);
    const rng = createRandom(3);
    const u = rng.fillNormal(new Float64Array(12));
    const out = new Float64Array(12);
    sys.rhs(u, 0, out, 0);
    const at = (i: number, j: number, di: number, dj: number) => {
      const ii = i + di;
      const jj = j + dj;
      if (ii < 0 || ii >= 3) return u[j * 3 + i] + g.hx * 0.25;
      if (jj < 0 || jj >= 4) return u[j * 3 + i] + g.hy * 0.25;
      return u[jj * 3 + ii];
    };
    for (let j = 0; j < 4; j++)
      for (let i = 0; i < 3; i++) {
        const c = u[j * 3 + i];
        const want =
          (at(i, j, -1, 0) - 2 * c + at(i, j, 1, 0)) / (g.hx * g.hx) +
          (at(i, j, 0, -1) - 2 * c + at(i, j, 0, 1)) / (g.hy * g.hy);
        expect(out[j * 3 + i]).toBeCloseTo(want, 10);
      }
  });

  for (const boundary of boundaries) {
    for (const grid of [grid1d(7, 1, boundary), grid2d(4, 3, 1, 1, boundary)]) {
      it(`Jacobians match finite differences (${grid.dimension}-D ${boundary.kind}, every equation)`, () => {
        for (const sys of systems(grid)) {
          const rng = createRandom(7);
          const u = rng.fillUniform(new Float64Array(sys.size), -0.9, 0.9);
          const jac = denseJacobian(sys, u);
          expect(maxAbsDiff(jac, fdJacobian(rhsOf(sys), u))).toBeLessThan(
            1e-6 * Math.max(1, ...Array.from(jac, Math.abs)),
          );
          const diag = new Float64Array(sys.size);
          sys.jacobianDiagonal(u, 0, diag);
          for (let i = 0; i < sys.size; i++) expect(diag[i]).toBeCloseTo(jac[i * sys.size + i], 10);
          if (sys.halfBandwidth !== null) {
            for (let i = 0; i < sys.size; i++)
              for (let j = 0; j < sys.size; j++)
                if (Math.abs(i - j) > sys.halfBandwidth) expect(jac[i * sys.size + j]).toBe(0);
          }
        }
      });
    }
  }
});

describe('time-step cells', () => {
  for (const scheme of schemes) {
    for (const boundary of boundaries) {
      it(`${scheme} step Jacobian, diagonal and VJP match finite differences (${boundary.kind}, Burgers and FitzHugh–Nagumo)`, () => {
        const g = grid1d(6, 1, boundary);
        for (const sys of [burgersEquation(g, 0.1), fitzHughNagumoEquation(g, { du: 0.05, dv: 0.02 })]) {
          const cell = createTimeStepCell(sys, { scheme, dt: 0.01 });
          const n = cell.stateSize;
          const u = createRandom(2).fillUniform(new Float64Array(n), -0.8, 0.8);
          const f = new Float64Array(n);
          const jac = new Float64Array(n * n);
          cell.denseJacobian(u, 0, none, 0, f, 0, jac, 0);
          const stepOf = (v: Float64Array) => {
            const o = new Float64Array(n);
            cell.step(v, 0, none, 0, o, 0);
            return o;
          };
          expect(maxAbsDiff(f, stepOf(u))).toBeLessThan(1e-15);
          expect(maxAbsDiff(jac, fdJacobian(stepOf, u))).toBeLessThan(1e-7);
          const diag = new Float64Array(n);
          cell.diagonalJacobian(u, 0, none, 0, new Float64Array(n), 0, diag, 0);
          for (let i = 0; i < n; i++) expect(diag[i]).toBeCloseTo(jac[i * n + i], 12);
          const gvec = createRandom(4).fillNormal(new Float64Array(n));
          const grad = new Float64Array(n).fill(0.5);
          cell.vjp(u, 0, none, 0, gvec, 0, grad, 0, null, 0, null);
          for (let j = 0; j < n; j++) {
            let want = 0.5;
            for (let i = 0; i < n; i++) want += gvec[i] * jac[i * n + j];
            expect(grad[j]).toBeCloseTo(want, 11);
          }
        }
      });
    }
  }

  for (const scheme of schemes) {
    it(`${scheme} with forcing input: ∂s/∂x VJP matches finite differences; Σu of periodic heat grows by nΔt·x̄`, () => {
      const sys = burgersEquation(grid1d(6, 1, { kind: 'neumann' }), 0.1);
      const cell = createTimeStepCell(sys, { scheme, dt: 0.01, forcing: true });
      expect(cell.inputSize).toBe(6);
      const rng = createRandom(3);
      const u = rng.fillUniform(new Float64Array(6), -0.8, 0.8);
      const x = rng.fillNormal(new Float64Array(6));
      const g = rng.fillNormal(new Float64Array(6));
      const stepX = (xv: Float64Array) => {
        const o = new Float64Array(6);
        cell.step(u, 0, xv, 0, o, 0);
        return o;
      };
      const jx = fdJacobian(stepX, x);
      const gradH = new Float64Array(6);
      const gradX = new Float64Array(6).fill(0.25);
      cell.vjp(u, 0, x, 0, g, 0, gradH, 0, gradX, 0, null);
      for (let j = 0; j < 6; j++) {
        let want = 0.25;
        for (let i = 0; i < 6; i++) want += g[i] * jx[i * 6 + j];
        expect(gradX[j]).toBeCloseTo(want, 8);
      }
      // The state Jacobian is unchanged by (and correct with) the forcing.
      const jac = new Float64Array(36);
      cell.denseJacobian(u, 0, x, 0, new Float64Array(6), 0, jac, 0);
      const stepU = (uv: Float64Array) => {
        const o = new Float64Array(6);
        cell.step(uv, 0, x, 0, o, 0);
        return o;
      };
      expect(maxAbsDiff(jac, fdJacobian(stepU, u))).toBeLessThan(1e-7);
      // Periodic heat: Σ F(u) = 0, so each step adds exactly Δt Σ x.
      const heat = createTimeStepCell(heatEquation(grid1d(8, 1, { kind: 'periodic' }), 0.2), {
        scheme,
        dt: 0.01,
        forcing: true,
      });
      const u0 = rng.fillUniform(new Float64Array(8), -1, 1);
      const xs = rng.fillNormal(new Float64Array(8));
      const next = new Float64Array(8);
      heat.step(u0, 0, xs, 0, next, 0);
      const sum = (a: Float64Array) => a.reduce((p, v) => p + v, 0);
      expect(sum(next) - sum(u0)).toBeCloseTo(0.01 * sum(xs), 12);
    });
  }

  it('θ-methods solve their implicit equations: w − θΔt F(w) = u + (1 − θ)Δt F(u)', () => {
    const sys = allenCahnEquation(grid2d(5, 4, 1, 1, { kind: 'periodic' }), 0.1);
    for (const [scheme, theta] of [
      ['backward-euler', 1],
      ['crank-nicolson', 0.5],
    ] as const) {
      const cell = createTimeStepCell(sys, { scheme, dt: 0.05 });
      const u = createRandom(8).fillUniform(new Float64Array(20), -1, 1);
      const w = new Float64Array(20);
      cell.step(u, 0, none, 0, w, 0);
      const fu = rhsOf(sys)(u);
      const fw = rhsOf(sys)(w);
      for (let i = 0; i < 20; i++)
        expect(w[i] - theta * 0.05 * fw[i]).toBeCloseTo(u[i] + (1 - theta) * 0.05 * fu[i], 12);
      expect(cell.stats.denseFactorisations).toBeGreaterThan(0); // periodic: wrap-around entries
    }
    const banded = createTimeStepCell(allenCahnEquation(grid1d(8, 1, { kind: 'neumann' })), { dt: 0.05 });
    banded.step(new Float64Array(8).fill(0.3), 0, none, 0, new Float64Array(8), 0);
    expect(banded.stats.bandedFactorisations).toBeGreaterThan(0);
    expect(banded.stats.denseFactorisations).toBe(0);
  });
});

describe('closed forms and conserved quantities', () => {
  it('a discrete sine mode of the Dirichlet heat equation decays by each scheme’s exact amplification factor (1-D and 2-D)', () => {
    const D = 0.5;
    const dt = 2e-3;
    for (const grid of [grid1d(15, 1, { kind: 'dirichlet' }), grid2d(7, 9, 1, 1, { kind: 'dirichlet' })]) {
      const xs = gridCoordinates(grid, 'x');
      const ys = gridCoordinates(grid, 'y');
      const u0 = new Float64Array(grid.points);
      for (let j = 0; j < grid.ny; j++)
        for (let i = 0; i < grid.nx; i++)
          u0[j * grid.nx + i] =
            Math.sin(Math.PI * xs[i]) * (grid.dimension === 2 ? Math.sin(Math.PI * ys[j]) : 1);
      // Eigenvalue of the 3-point Laplacian for this mode: −(4/h²) sin²(πh/2) per axis.
      let lambda = (-4 * D * Math.sin((Math.PI * grid.hx) / 2) ** 2) / grid.hx ** 2;
      if (grid.dimension === 2) lambda += (-4 * D * Math.sin((Math.PI * grid.hy) / 2) ** 2) / grid.hy ** 2;
      const z = lambda * dt;
      const factors: Record<TimeScheme, number> = {
        euler: 1 + z,
        rk4: 1 + z + z ** 2 / 2 + z ** 3 / 6 + z ** 4 / 24,
        'backward-euler': 1 / (1 - z),
        'crank-nicolson': (1 + z / 2) / (1 - z / 2),
      };
      for (const scheme of schemes) {
        const cell = createTimeStepCell(heatEquation(grid, D), { scheme, dt });
        const steps = 25;
        const traj = sequentialRun(cell, u0, steps);
        const amp = factors[scheme] ** steps;
        const last = traj.subarray((steps - 1) * grid.points);
        expect(
          maxAbsDiff(
            last,
            u0.map((v) => v * amp),
          ),
        ).toBeLessThan(1e-12);
      }
    }
  });

  it('periodic heat and periodic Burgers conserve Σu; zero-flux Neumann heat conserves Σu (every scheme)', () => {
    const cases: MolSystem[] = [
      heatEquation(grid1d(16, 1, { kind: 'periodic' }), 0.3),
      heatEquation(grid2d(5, 6, 1, 1, { kind: 'periodic' }), 0.3),
      burgersEquation(grid1d(16, 1, { kind: 'periodic' }), 0.02),
      heatEquation(grid1d(16, 1, { kind: 'neumann' }), 0.3),
      heatEquation(grid2d(4, 5, 1, 1, { kind: 'neumann' }), 0.3),
    ];
    for (const sys of cases) {
      const u0 = createRandom(12).fillUniform(new Float64Array(sys.size), -1, 1);
      const mass0 = u0.reduce((s, v) => s + v, 0);
      for (const scheme of schemes) {
        const traj = sequentialRun(createTimeStepCell(sys, { scheme, dt: 1e-3 }), u0, 40);
        for (let t = 0; t < 40; t++) {
          let m = 0;
          for (let i = 0; i < sys.size; i++) m += traj[t * sys.size + i];
          expect(Math.abs(m - mass0)).toBeLessThan(1e-11);
        }
        // Diffusion does move the state.
        expect(maxAbsDiff(traj.subarray(39 * sys.size), u0)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('Dirichlet-0 heat under backward Euler decays monotonically in max norm (discrete maximum principle)', () => {
    const sys = heatEquation(grid1d(20, 1, { kind: 'dirichlet', value: 0 }), 1);
    const u0 = createRandom(5).fillUniform(new Float64Array(20), -1, 1);
    const traj = sequentialRun(createTimeStepCell(sys, { scheme: 'backward-euler', dt: 0.01 }), u0, 30);
    let prev = Math.max(...Array.from(u0, Math.abs));
    for (let t = 0; t < 30; t++) {
      const m = Math.max(...Array.from(traj.subarray(t * 20, (t + 1) * 20), Math.abs));
      expect(m).toBeLessThanOrEqual(prev + 1e-15);
      prev = m;
    }
    expect(prev).toBeLessThan(0.5);
  });

  it('Allen–Cahn keeps |u| ≤ 1 (maximum principle) in 1-D and 2-D for every scheme', () => {
    for (const grid of [grid1d(32, 1, { kind: 'neumann' }), grid2d(6, 6, 1, 1, { kind: 'periodic' })]) {
      const sys = allenCahnEquation(grid, 0.05);
      const u0 = createRandom(9).fillUniform(new Float64Array(sys.size), -1, 1);
      for (const scheme of schemes) {
        // Explicit stability: Δt ≤ h²/(2dε²) with margin.
        const traj = sequentialRun(createTimeStepCell(sys, { scheme, dt: 0.02 }), u0, 100);
        let max = 0;
        for (const v of traj) max = Math.max(max, Math.abs(v));
        expect(max).toBeLessThanOrEqual(1);
        // And the flow separates phases: values move toward ±1.
        let mean = 0;
        for (let i = 0; i < sys.size; i++) mean += Math.abs(traj[99 * sys.size + i]);
        expect(mean / sys.size).toBeGreaterThan(u0.reduce((s, v) => s + Math.abs(v), 0) / sys.size);
      }
    }
  });

  it('Fisher–KPP keeps 0 ≤ u ≤ 1 and its mass grows toward the stable state', () => {
    const sys = fisherKppEquation(grid1d(40, 1, { kind: 'neumann' }), 1e-3, 1);
    const u0 = new Float64Array(40);
    for (let i = 0; i < 8; i++) u0[i] = 0.9;
    for (const scheme of schemes) {
      const traj = sequentialRun(createTimeStepCell(sys, { scheme, dt: 0.05 }), u0, 60);
      let prevMass = u0.reduce((s, v) => s + v, 0);
      for (let t = 0; t < 60; t++) {
        let m = 0;
        for (let i = 0; i < 40; i++) {
          const v = traj[t * 40 + i];
          expect(v).toBeGreaterThanOrEqual(-1e-15);
          expect(v).toBeLessThanOrEqual(1 + 1e-15);
          m += v;
        }
        expect(m).toBeGreaterThanOrEqual(prevMass - 1e-12);
        prevMass = m;
      }
    }
  });

  it('FitzHugh–Nagumo with uniform data and zero-flux boundaries follows the point ODE (RK4 vs dopri5)', () => {
    const params = { du: 0.05, dv: 0.01, a: 0.7, b: 0.8, epsilon: 0.08, current: 0.5 };
    const sys = fitzHughNagumoEquation(grid2d(3, 4, 1, 1, { kind: 'neumann' }), params);
    const u0 = new Float64Array(sys.size);
    for (let p = 0; p < 12; p++) {
      u0[2 * p] = 0.5;
      u0[2 * p + 1] = 0.4;
    }
    const steps = 200;
    const dt = 0.05;
    const traj = sequentialRun(createTimeStepCell(sys, { scheme: 'rk4', dt }), u0, steps);
    // The point model u' = u − u³/3 − v + I, v' = ε(u + a − b v), integrated by dopri5 at 1e-12.
    const point: VectorField = {
      stateSize: 2,
      inputSize: 0,
      evaluate: (y, yo, _x, _xo, _t, o, oo) => {
        const u = y[yo];
        const v = y[yo + 1];
        o[oo] = u - (u * u * u) / 3 - v + params.current;
        o[oo + 1] = params.epsilon * (u + params.a - params.b * v);
      },
    };
    const times = Float64Array.from({ length: steps + 1 }, (_, i) => i * dt);
    const ref = solveIVP(point, [0.5, 0.4], times, null, {
      method: 'dopri5',
      atol: 1e-12,
      rtol: 1e-12,
    });
    let err = 0;
    for (let t = 0; t < steps; t++)
      for (let p = 0; p < 12; p++)
        for (let k = 0; k < 2; k++)
          err = Math.max(err, Math.abs(traj[t * sys.size + 2 * p + k] - ref.states[(t + 1) * 2 + k]));
    expect(err).toBeLessThan(1e-6);
    // It does move: u rises from 0.5 by more than 1 (a spike) within the run.
    let rise = 0;
    for (let t = 0; t < steps; t++) rise = Math.max(rise, traj[t * sys.size] - u0[0]);
    expect(rise).toBeGreaterThan(1);
  });

  it('throws typed errors for bad grids, equations and steps', () => {
    expect(() => grid1d(1)).toThrow(/points/);
    expect(() => grid1d(8, -1)).toThrow(/length/);
    expect(() => grid2d(4, 4, 1, 1, { kind: 'robin' } as never)).toThrow(/boundary/);
    expect(() => heatEquation(grid1d(8), -1)).toThrow(/diffusivity/);
    expect(() => createTimeStepCell(heatEquation(grid1d(8)), { dt: 0 })).toThrow(/dt/);
    expect(() =>
      createTimeStepCell(heatEquation(grid1d(8)), { dt: 0.1, scheme: 'leapfrog' as never }),
    ).toThrow(/scheme/);
  });
});
