/**
 * The named reaction–diffusion(–advection) equations of the zoo, as {@link MolSystem}s:
 * heat, viscous Burgers, Allen–Cahn, Fisher–KPP and FitzHugh–Nagumo.
 */
import { describeValue, ShapeError } from '@antler/core';
import type { Grid } from './grid.js';
import { MolSystem } from './mol-system.js';

function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new ShapeError(name, `a finite number ${allowZero ? '≥' : '>'} 0`, describeValue(v));
  }
  return v;
}

/**
 * Heat equation u_t = D Δu.
 *
 * @example
 * ```ts
 * import { grid1d, heatEquation } from '@antler/zoo';
 * const heat = heatEquation(grid1d(32, 1, { kind: 'periodic' }), 0.1);
 * ```
 */
export function heatEquation(grid: Grid, diffusivity = 1): MolSystem {
  positive('diffusivity', diffusivity);
  return new MolSystem({ name: 'heat', grid, diffusion: [diffusivity], config: { diffusivity } });
}

/** Viscous Burgers u_t + Σ_axes ∂(u²/2)/∂x = ν Δu (conservative central flux: Σu is conserved on periodic grids). */
export function burgersEquation(grid: Grid, viscosity = 0.01): MolSystem {
  positive('viscosity', viscosity, true);
  return new MolSystem({
    name: 'burgers',
    grid,
    diffusion: [viscosity],
    burgers: [true],
    config: { viscosity },
  });
}

/** Allen–Cahn u_t = ε² Δu + u − u³ (keeps |u| ≤ 1 when it starts there, for small enough steps). */
export function allenCahnEquation(grid: Grid, epsilon = 0.05): MolSystem {
  positive('epsilon', epsilon);
  return new MolSystem({
    name: 'allen-cahn',
    grid,
    diffusion: [epsilon * epsilon],
    reaction: (v, f, j) => {
      const u = v[0];
      f[0] = u - u * u * u;
      j[0] = 1 - 3 * u * u;
    },
    config: { epsilon },
  });
}

/** Fisher–KPP u_t = D Δu + r u (1 − u) (keeps 0 ≤ u ≤ 1). */
export function fisherKppEquation(grid: Grid, diffusivity = 0.01, rate = 1): MolSystem {
  positive('diffusivity', diffusivity, true);
  positive('rate', rate, true);
  return new MolSystem({
    name: 'fisher-kpp',
    grid,
    diffusion: [diffusivity],
    reaction: (v, f, j) => {
      const u = v[0];
      f[0] = rate * u * (1 - u);
      j[0] = rate * (1 - 2 * u);
    },
    config: { diffusivity, rate },
  });
}

/** Parameters of {@link fitzHughNagumoEquation}. */
export interface FitzHughNagumoParameters {
  /** Diffusion of the voltage u (default 1e-3). */
  readonly du?: number;
  /** Diffusion of the recovery v (default 0). */
  readonly dv?: number;
  /** a (default 0.7). */
  readonly a?: number;
  /** b (default 0.8). */
  readonly b?: number;
  /** Time-scale ratio ε (default 0.08). */
  readonly epsilon?: number;
  /** Applied current I (default 0.5). */
  readonly current?: number;
}

/**
 * FitzHugh–Nagumo u_t = d_u Δu + u − u³/3 − v + I,  v_t = d_v Δv + ε (u + a − b v): two fields per
 * point, stored interleaved (u_p, v_p).
 */
export function fitzHughNagumoEquation(grid: Grid, params: FitzHughNagumoParameters = {}): MolSystem {
  const du = positive('du', params.du ?? 1e-3, true);
  const dv = positive('dv', params.dv ?? 0, true);
  const a = params.a ?? 0.7;
  const b = params.b ?? 0.8;
  const eps = positive('epsilon', params.epsilon ?? 0.08);
  const current = params.current ?? 0.5;
  return new MolSystem({
    name: 'fitzhugh-nagumo',
    grid,
    fields: 2,
    diffusion: [du, dv],
    reaction: (v, f, j) => {
      const u = v[0];
      const w = v[1];
      f[0] = u - (u * u * u) / 3 - w + current;
      f[1] = eps * (u + a - b * w);
      j[0] = 1 - u * u;
      j[1] = -1;
      j[2] = eps;
      j[3] = -eps * b;
    },
    config: { du, dv, a, b, epsilon: eps, current },
  });
}
