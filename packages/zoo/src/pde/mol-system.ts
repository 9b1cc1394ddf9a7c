/**
 * A method-of-lines system du/dt = F(u) on a grid: c fields per point, each with diffusion D_k Δu_k,
 * optional Burgers advection −Σ_axes ∂(u_k²/2)/∂x (conservative central flux), and a pointwise reaction
 * R(u_1 … u_c). State layout: interleaved, u[p·c + k] for point p and field k, so the Jacobian of a
 * non-periodic grid is banded with half-bandwidth c (1-D) or nx·c (2-D).
 */
import { checkInteger, describeValue, type FloatArray, ShapeError } from '@antler/core';
import { type Grid, type Neighbour, neighbourAlong } from './grid.js';
import { type CooMatrix, cooAdd } from './sparse-jacobian.js';

/**
 * A pointwise reaction: writes R_k(v) to `f[0 … c)` and ∂R_k/∂v_l to `jac[k·c + l]` (c×c row-major) for
 * the field values `v[0 … c)` at one point.
 */
export type Reaction = (v: Float64Array, f: Float64Array, jac: Float64Array) => void;

/** Specification of a {@link MolSystem}. */
export interface MolSystemSpec {
  /** Equation name (heat, burgers, …), used in cell kinds. */
  readonly name: string;
  readonly grid: Grid;
  /** Fields per point c (default 1). */
  readonly fields?: number;
  /** Diffusion coefficient per field (length c). */
  readonly diffusion: readonly number[];
  /** Burgers advection per field (default none). */
  readonly burgers?: readonly boolean[];
  /** Pointwise reaction (default none). */
  readonly reaction?: Reaction;
  /** Settings a backend or a report needs. */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
}

/** A semi-discrete PDE du/dt = F(u) with its sparse Jacobian. Not re-entrant (scratch buffers). */
export class MolSystem {
  readonly name: string;
  readonly grid: Grid;
  readonly fields: number;
  /** State size n = points · fields. */
  readonly size: number;
  readonly diffusion: readonly number[];
  readonly burgers: readonly boolean[];
  readonly reaction: Reaction | null;
  readonly config: Readonly<Record<string, string | number | boolean>>;
  /** Upper bound on Jacobian entries (for COO buffers). */
  readonly maxEntries: number;
  /** Half-bandwidth of the Jacobian, or null when wrap-around (periodic) entries make it unbanded. */
  readonly halfBandwidth: number | null;
  private readonly nb: Neighbour = { index: 0, coefficient: 0, constant: 0 };
  private readonly v: Float64Array;
  private readonly rf: Float64Array;
  private readonly rj: Float64Array;

  constructor(spec: MolSystemSpec) {
    const c = checkInteger(spec.fields ?? 1, 'fields', 1);
    if (
      !Array.isArray(spec.diffusion) ||
      spec.diffusion.length !== c ||
      spec.diffusion.some((d) => !(d >= 0))
    ) {
      throw new ShapeError(
        'diffusion',
        `${c} coefficients ≥ 0 (one per field)`,
        describeValue(spec.diffusion),
      );
    }
    const burgers = spec.burgers ?? spec.diffusion.map(() => false);
    if (burgers.length !== c)
      throw new ShapeError('burgers', `${c} flags (one per field)`, describeValue(burgers));
    this.name = spec.name;
    this.grid = spec.grid;
    this.fields = c;
    this.size = spec.grid.points * c;
    this.diffusion = [...spec.diffusion];
    this.burgers = [...burgers];
    this.reaction = spec.reaction ?? null;
    this.config = {
      equation: spec.name,
      dimension: spec.grid.dimension,
      boundary: spec.grid.boundary.kind,
      ...spec.config,
    };
    this.maxEntries = this.size * (1 + 2 * spec.grid.dimension + c);
    this.halfBandwidth =
      spec.grid.boundary.kind === 'periodic' ? null : spec.grid.dimension === 1 ? c : spec.grid.nx * c;
    this.v = new Float64Array(c);
    this.rf = new Float64Array(c);
    this.rj = new Float64Array(c * c);
  }

  /** Fills `this.nb` with the neighbour of point p along axis 0 (x) or 1 (y) in direction `sign`; returns h. */
  private neighbour(p: number, axisIndex: number, sign: -1 | 1): number {
    const g = this.grid;
    const c = this.fields;
    const i = p % g.nx;
    const j = (p - i) / g.nx;
    if (axisIndex === 0) {
      neighbourAlong(g.boundary, g.nx, g.hx, i, sign, j * g.nx * c, c, this.nb);
      return g.hx;
    }
    neighbourAlong(g.boundary, g.ny, g.hy, j, sign, i * c, g.nx * c, this.nb);
    return g.hy;
  }

  /** Writes F(u) (n values) to `out[oo …]`. */
  rhs(u: FloatArray, uo: number, out: FloatArray, oo: number): void {
    const c = this.fields;
    const P = this.grid.points;
    const axes = this.grid.dimension;
    for (let p = 0; p < P; p++) {
      if (this.reaction) {
        for (let k = 0; k < c; k++) this.v[k] = u[uo + p * c + k];
        this.reaction(this.v, this.rf, this.rj);
      }
      for (let k = 0; k < c; k++) {
        const self = u[uo + p * c + k];
        const D = this.diffusion[k];
        const adv = this.burgers[k];
        let acc = this.reaction ? this.rf[k] : 0;
        for (let a = 0; a < 2 * axes; a++) {
          const sign = a % 2 === 0 ? -1 : 1;
          const h = this.neighbour(p, a >> 1, sign);
          const nb = this.nb;
          const val = nb.index < 0 ? nb.constant : nb.coefficient * u[uo + nb.index + k] + nb.constant;
          acc += (D * (val - self)) / (h * h);
          // −(u_{i+1}² − u_{i−1}²)/(4h): the after-neighbour enters with −, the before one with +.
          if (adv) acc -= (sign * val * val) / (4 * h);
        }
        out[oo + p * c + k] = acc;
      }
    }
  }

  /** Appends the entries of ∂F/∂u at `u` to `coo` (after resetting it). */
  jacobian(u: FloatArray, uo: number, coo: CooMatrix): void {
    coo.count = 0;
    const c = this.fields;
    const P = this.grid.points;
    const axes = this.grid.dimension;
    for (let p = 0; p < P; p++) {
      if (this.reaction) {
        for (let k = 0; k < c; k++) this.v[k] = u[uo + p * c + k];
        this.reaction(this.v, this.rf, this.rj);
      }
      for (let k = 0; k < c; k++) {
        const row = p * c + k;
        const D = this.diffusion[k];
        const adv = this.burgers[k];
        let centre = 0;
        for (let a = 0; a < 2 * axes; a++) {
          const sign = a % 2 === 0 ? -1 : 1;
          const h = this.neighbour(p, a >> 1, sign);
          const nb = this.nb;
          centre -= D / (h * h);
          if (nb.index < 0) continue;
          const val = nb.coefficient * u[uo + nb.index + k] + nb.constant;
          const d = nb.coefficient * (D / (h * h) - (adv ? (sign * 2 * val) / (4 * h) : 0));
          cooAdd(coo, row, nb.index + k, d);
        }
        if (this.reaction) {
          for (let l = 0; l < c; l++) {
            const r = this.rj[k * c + l];
            if (l === k) centre += r;
            else if (r !== 0) cooAdd(coo, row, p * c + l, r);
          }
        }
        cooAdd(coo, row, row, centre);
      }
    }
  }

  /** Writes diag(∂F/∂u) directly (O(n), no matrix formed). */
  jacobianDiagonal(u: FloatArray, uo: number, diag: Float64Array): void {
    const c = this.fields;
    const P = this.grid.points;
    const axes = this.grid.dimension;
    for (let p = 0; p < P; p++) {
      if (this.reaction) {
        for (let k = 0; k < c; k++) this.v[k] = u[uo + p * c + k];
        this.reaction(this.v, this.rf, this.rj);
      }
      for (let k = 0; k < c; k++) {
        const row = p * c + k;
        const D = this.diffusion[k];
        const adv = this.burgers[k];
        let d = this.reaction ? this.rj[k * c + k] : 0;
        for (let a = 0; a < 2 * axes; a++) {
          const sign = a % 2 === 0 ? -1 : 1;
          const h = this.neighbour(p, a >> 1, sign);
          const nb = this.nb;
          d -= D / (h * h);
          // Only a ghost that reflects the point itself (Neumann) feeds back into the diagonal.
          if (nb.index >= 0 && nb.index + k === row) {
            const val = nb.coefficient * u[uo + row] + nb.constant;
            d += nb.coefficient * (D / (h * h) - (adv ? (sign * 2 * val) / (4 * h) : 0));
          }
        }
        diag[row] = d;
      }
    }
  }
}
