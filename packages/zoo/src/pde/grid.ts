/**
 * Uniform 1-D and 2-D grids with Dirichlet, Neumann or periodic boundaries for method-of-lines
 * stencils, and the neighbour map every stencil uses: the value beyond a point is
 * `coefficient · u[index] + constant` (a ghost value), so one stencil formula and one Jacobian
 * formula serve every boundary kind.
 */
import { checkInteger, describeValue, ShapeError } from '@antler/core';

/**
 * A boundary condition.
 *
 * - `dirichlet`: u = value on the boundary; unknowns at the interior points x_i = i·h, i = 1 … N
 *   (the boundary points x_0 and x_{N+1} carry the value).
 * - `neumann`: ∂u/∂ν = flux (outward normal derivative); unknowns at cell centres
 *   x_i = (i + ½)·h, ghost u_{−1} = u_0 + h·flux. Zero flux conserves Σu exactly.
 * - `periodic`: u_{−1} = u_{N−1}, u_N = u_0; unknowns x_i = i·h.
 */
export type Boundary =
  | { readonly kind: 'dirichlet'; readonly value?: number }
  | { readonly kind: 'neumann'; readonly flux?: number }
  | { readonly kind: 'periodic' };

/** A uniform grid: `nx` (× `ny` in 2-D) unknown points per field, spacing `hx` (`hy`), one boundary on all sides. */
export interface Grid {
  /** 1 or 2. */
  readonly dimension: 1 | 2;
  /** Points along x. */
  readonly nx: number;
  /** Points along y (1 in 1-D). */
  readonly ny: number;
  /** Spacing along x. */
  readonly hx: number;
  /** Spacing along y (`hx` in 1-D). */
  readonly hy: number;
  /** Points in all, nx·ny. */
  readonly points: number;
  readonly boundary: Boundary;
}

function checkBoundary(boundary: Boundary | undefined): Boundary {
  const b = boundary ?? { kind: 'dirichlet', value: 0 };
  if (!b || !['dirichlet', 'neumann', 'periodic'].includes(b.kind)) {
    throw new ShapeError('boundary', "{ kind: 'dirichlet' | 'neumann' | 'periodic', … }", describeValue(b));
  }
  const v = b.kind === 'dirichlet' ? (b.value ?? 0) : b.kind === 'neumann' ? (b.flux ?? 0) : 0;
  if (!Number.isFinite(v)) throw new ShapeError('boundary', 'a finite value / flux', describeValue(v));
  return b;
}

function spacing(points: number, length: number, boundary: Boundary): number {
  // Dirichlet grids have N interior points and N + 1 gaps; Neumann and periodic N gaps.
  return boundary.kind === 'dirichlet' ? length / (points + 1) : length / points;
}

/**
 * A 1-D grid of `points` unknowns on [0, length].
 *
 * @example
 * ```ts
 * import { grid1d } from '@antler/zoo';
 * const g = grid1d(64, 1, { kind: 'periodic' }); // h = 1/64
 * ```
 */
export function grid1d(points: number, length = 1, boundary?: Boundary): Grid {
  const nx = checkInteger(points, 'points', 2);
  if (!(length > 0 && Number.isFinite(length)))
    throw new ShapeError('length', 'a finite number > 0', describeValue(length));
  const b = checkBoundary(boundary);
  const h = spacing(nx, length, b);
  return { dimension: 1, nx, ny: 1, hx: h, hy: h, points: nx, boundary: b };
}

/** A 2-D grid of `nx` × `ny` unknowns on [0, lx] × [0, ly]; point (i, j) is stored at j·nx + i. */
export function grid2d(nx: number, ny: number, lx = 1, ly = 1, boundary?: Boundary): Grid {
  checkInteger(nx, 'nx', 2);
  checkInteger(ny, 'ny', 2);
  for (const [name, v] of [
    ['lx', lx],
    ['ly', ly],
  ] as const)
    if (!(v > 0 && Number.isFinite(v))) throw new ShapeError(name, 'a finite number > 0', describeValue(v));
  const b = checkBoundary(boundary);
  return {
    dimension: 2,
    nx,
    ny,
    hx: spacing(nx, lx, b),
    hy: spacing(ny, ly, b),
    points: nx * ny,
    boundary: b,
  };
}

/** Coordinates of the unknowns along one axis (x_i), for building initial conditions. */
export function gridCoordinates(grid: Grid, axis: 'x' | 'y' = 'x'): Float64Array {
  const count = axis === 'x' ? grid.nx : grid.ny;
  const h = axis === 'x' ? grid.hx : grid.hy;
  const shift = grid.boundary.kind === 'dirichlet' ? 1 : grid.boundary.kind === 'neumann' ? 0.5 : 0;
  return Float64Array.from({ length: count }, (_, i) => (i + shift) * h);
}

/** A neighbour of a point: the value `coefficient · u[index] + constant` (index −1: a constant ghost). */
export interface Neighbour {
  index: number;
  coefficient: number;
  constant: number;
}

/**
 * Fills `out` with the neighbour of point `i` (0 … count−1) in direction `step` (−1 or +1) along an
 * axis of `count` points and spacing `h`, where the point's flat index is `base + i·stride`.
 */
export function neighbourAlong(
  boundary: Boundary,
  count: number,
  h: number,
  i: number,
  step: -1 | 1,
  base: number,
  stride: number,
  out: Neighbour,
): Neighbour {
  const j = i + step;
  if (j >= 0 && j < count) {
    out.index = base + j * stride;
    out.coefficient = 1;
    out.constant = 0;
    return out;
  }
  switch (boundary.kind) {
    case 'periodic':
      out.index = base + (j < 0 ? count - 1 : 0) * stride;
      out.coefficient = 1;
      out.constant = 0;
      return out;
    case 'dirichlet':
      out.index = -1;
      out.coefficient = 0;
      out.constant = boundary.value ?? 0;
      return out;
    case 'neumann':
      // Outward derivative (u_ghost − u_i)/h = flux.
      out.index = base + i * stride;
      out.coefficient = 1;
      out.constant = h * (boundary.flux ?? 0);
      return out;
  }
}
