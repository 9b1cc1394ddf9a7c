/**
 * Time-stepping a method-of-lines system as a core `Cell`: s_t = step(s_{t−1}), so DEER-family solvers
 * parallelise over time steps. Explicit schemes (Euler, classical RK4) and θ-methods (backward Euler θ = 1,
 * Crank–Nicolson θ = ½) with an inner Newton iteration.
 *
 * Jacobians of one step, ∂s_t/∂s_{t−1}:
 * - Euler: I + Δt J_F(u) — banded like J_F; its diagonal is computed directly in O(n).
 * - RK4: the chain rule through the four stages (dense products, O(nnz·n) each).
 * - θ-method: (I − θΔt J_F(w))⁻¹ (I + (1−θ)Δt J_F(u)) at the new state w — dense in general (the inverse of
 *   a banded matrix is full), computed with n banded (or dense LU) solves; its diagonal comes from the same
 *   solves, so it costs as much as the dense Jacobian.
 */
import {
  type Cell,
  ConvergenceError,
  checkInteger,
  describeValue,
  type FloatArray,
  type GradientMap,
  NonFiniteError,
  ShapeError,
} from '@antler/core';
import {
  bandedFactor,
  bandedSolve,
  createBanded,
  type BandedMatrix,
  denseFactor,
  denseSolve,
} from './linear-solvers.js';
import type { MolSystem } from './mol-system.js';
import { type CooMatrix, cooTimesDense, createCoo } from './sparse-jacobian.js';

/** Time-stepping schemes of {@link createTimeStepCell}. */
export type TimeScheme = 'euler' | 'rk4' | 'backward-euler' | 'crank-nicolson';

/** Options of {@link createTimeStepCell}. */
export interface TimeStepOptions {
  /** Scheme; default `'backward-euler'`. */
  readonly scheme?: TimeScheme;
  /** Time step Δt (> 0). */
  readonly dt: number;
  /** Inner Newton tolerance on max|δ| relative to 1 + max|w| (θ-methods); default 1e-12. */
  readonly newtonTolerance?: number;
  /** Inner Newton iteration limit; default 50. */
  readonly newtonMaxIter?: number;
  /**
   * Additive forcing as the cell's input: du/dt = F(u) + x_t with x_t (n values, one per unknown) held
   * constant over step t, so `inputSize` = n. Default false (no inputs).
   */
  readonly forcing?: boolean;
}

/** Counters of the inner solves (θ-methods), for reports. */
export interface InnerSolveStats {
  /** Newton solves run (one per step evaluation). */
  solves: number;
  /** Newton iterations in all. */
  newtonIterations: number;
  /** Linear solves that used the banded LU. */
  bandedFactorisations: number;
  /** Linear solves that used the dense pivoted LU (periodic grids, or a band pivot too small). */
  denseFactorisations: number;
}

/** A PDE time step as a core `Cell` (state = grid values, no inputs). Not re-entrant. */
export class TimeStepCell implements Cell {
  readonly kind: string;
  readonly stateSize: number;
  readonly inputSize: number;
  readonly config: Readonly<Record<string, string | number | boolean>>;
  readonly system: MolSystem;
  readonly scheme: TimeScheme;
  readonly dt: number;
  /** Inner-solve counters (θ-methods). */
  readonly stats: InnerSolveStats = {
    solves: 0,
    newtonIterations: 0,
    bandedFactorisations: 0,
    denseFactorisations: 0,
  };
  private readonly theta: number;
  private readonly tol: number;
  private readonly maxIter: number;
  private readonly coo: CooMatrix;
  private readonly banded: BandedMatrix | null;
  private readonly dense: Float64Array;
  private readonly piv: Int32Array;
  private usingDense = false;
  private readonly k: Float64Array[];
  private readonly w: Float64Array;
  private readonly r: Float64Array;
  private readonly tmp: Float64Array;
  private readonly matA: Float64Array;
  private readonly matB: Float64Array;
  private readonly matC: Float64Array;
  /** Lazily allocated n×n scratch for diagonals and VJPs that go through the dense Jacobian. */
  private full: Float64Array | null = null;
  private fullX: Float64Array | null = null;
  /** The forcing of the current call (null without `forcing`). */
  private fx: FloatArray | null = null;
  private fxo = 0;

  constructor(system: MolSystem, options: TimeStepOptions) {
    const scheme = options.scheme ?? 'backward-euler';
    if (!['euler', 'rk4', 'backward-euler', 'crank-nicolson'].includes(scheme)) {
      throw new ShapeError(
        'scheme',
        "'euler' | 'rk4' | 'backward-euler' | 'crank-nicolson'",
        describeValue(scheme),
      );
    }
    if (!(options.dt > 0 && Number.isFinite(options.dt)))
      throw new ShapeError('dt', 'a finite number > 0', describeValue(options.dt));
    this.system = system;
    this.scheme = scheme;
    this.dt = options.dt;
    this.theta = scheme === 'backward-euler' ? 1 : scheme === 'crank-nicolson' ? 0.5 : 0;
    this.tol = options.newtonTolerance ?? 1e-12;
    this.maxIter = checkInteger(options.newtonMaxIter ?? 50, 'newtonMaxIter', 1);
    const n = system.size;
    this.stateSize = n;
    this.inputSize = options.forcing ? n : 0;
    this.kind = `pde-${system.name}-${scheme}`;
    this.config = { ...system.config, scheme, dt: this.dt, forcing: !!options.forcing };
    this.coo = createCoo(n, system.maxEntries);
    this.banded =
      system.halfBandwidth === null ? null : createBanded(n, Math.min(system.halfBandwidth, n - 1));
    const implicit = this.theta > 0;
    this.dense = new Float64Array(implicit && !this.banded ? n * n : 0);
    this.piv = new Int32Array(n);
    this.k = [0, 1, 2, 3].map(() => new Float64Array(n));
    this.w = new Float64Array(n);
    this.r = new Float64Array(n);
    this.tmp = new Float64Array(n);
    const dense = scheme === 'rk4' || implicit;
    this.matA = new Float64Array(dense ? n * n : 0);
    this.matB = new Float64Array(dense ? n * n : 0);
    this.matC = new Float64Array(scheme === 'rk4' ? n * n : 0);
  }

  /** Remembers the forcing x_t of the current call. */
  private setForcing(x: FloatArray, xo: number): void {
    this.fx = this.inputSize > 0 ? x : null;
    this.fxo = xo;
  }

  /** F(u) + x_t. */
  private rhs(u: FloatArray, uo: number, out: Float64Array): void {
    this.system.rhs(u, uo, out, 0);
    const x = this.fx;
    if (x) for (let i = 0; i < this.stateSize; i++) out[i] += x[this.fxo + i];
  }

  /** Factorises M = I − θΔt J_F(w) (Jacobian already in `this.coo`). */
  private factorIteration(): void {
    const n = this.stateSize;
    const a = this.theta * this.dt;
    const coo = this.coo;
    if (this.banded) {
      const { band, halfBandwidth: p } = this.banded;
      const width = 2 * p + 1;
      band.fill(0);
      for (let i = 0; i < n; i++) band[i * width + p] = 1;
      for (let e = 0; e < coo.count; e++) {
        band[coo.rows[e] * width + (coo.cols[e] - coo.rows[e] + p)] -= a * coo.values[e];
      }
      if (bandedFactor(this.banded)) {
        this.usingDense = false;
        this.stats.bandedFactorisations++;
        return;
      }
    }
    // Periodic wrap-around, or a tiny band pivot: dense LU with partial pivoting.
    const d = this.dense.length === n * n ? this.dense : this.matA;
    d.fill(0);
    for (let i = 0; i < n; i++) d[i * n + i] = 1;
    for (let e = 0; e < coo.count; e++) d[coo.rows[e] * n + coo.cols[e]] -= a * coo.values[e];
    if (!denseFactor(n, d, this.piv)) {
      throw new ConvergenceError(`${this.kind}: the Newton matrix I − θΔt J_F is singular`, {
        matrix: 'I - theta dt J',
      });
    }
    this.usingDense = true;
    this.stats.denseFactorisations++;
  }

  private solveIteration(x: Float64Array, xo = 0, xs = 1): void {
    if (this.usingDense) {
      const n = this.stateSize;
      denseSolve(n, this.dense.length === n * n ? this.dense : this.matA, this.piv, x, xo, xs);
    } else if (this.banded) bandedSolve(this.banded, x, xo, xs);
  }

  /** Runs the θ-method Newton solve from state `u`; leaves the new state in `this.w`, J_F(w) factored. */
  private implicitSolve(u: FloatArray, uo: number): void {
    const n = this.stateSize;
    const sys = this.system;
    const { w, r, tmp } = this;
    const th = this.theta;
    const dt = this.dt;
    // c = u + (1 − θ)Δt F(u) (kept in k[0]); start Newton from w = u.
    const c = this.k[0];
    if (th < 1) this.rhs(u, uo, tmp);
    // θ-weighted forcing enters both sides; fold the implicit part into c as well (x is constant).
    const x = this.fx;
    for (let i = 0; i < n; i++) {
      c[i] = u[uo + i] + (th < 1 ? (1 - th) * dt * tmp[i] : 0) + (x ? th * dt * x[this.fxo + i] : 0);
      w[i] = u[uo + i];
    }
    this.stats.solves++;
    for (let it = 1; it <= this.maxIter; it++) {
      sys.rhs(w, 0, tmp, 0); // F(w) only: θΔt·x is already in c
      let wMax = 0;
      for (let i = 0; i < n; i++) {
        r[i] = c[i] + th * dt * tmp[i] - w[i]; // −G(w)
        wMax = Math.max(wMax, Math.abs(w[i]));
      }
      sys.jacobian(w, 0, this.coo);
      this.factorIteration();
      this.solveIteration(r);
      let step = 0;
      for (let i = 0; i < n; i++) {
        w[i] += r[i];
        step = Math.max(step, Math.abs(r[i]));
      }
      this.stats.newtonIterations++;
      if (!Number.isFinite(step)) {
        throw new NonFiniteError('state', 0, step, `${this.kind}: the inner Newton iteration diverged`);
      }
      if (step <= this.tol * (1 + wMax)) return;
    }
    throw new ConvergenceError(
      `${this.kind}: the inner Newton iteration did not converge in ${this.maxIter} iterations (try a smaller dt)`,
      { state: Float64Array.from(w) },
    );
  }

  /** Writes the next state to `out[oo …]`. */
  step(h: FloatArray, ho: number, x: FloatArray, xo: number, out: FloatArray, oo: number): void {
    const n = this.stateSize;
    const dt = this.dt;
    this.setForcing(x, xo);
    if (this.scheme === 'euler') {
      this.rhs(h, ho, this.tmp);
      for (let i = 0; i < n; i++) out[oo + i] = h[ho + i] + dt * this.tmp[i];
      return;
    }
    if (this.scheme === 'rk4') {
      this.rk4Stages(h, ho);
      const [k1, k2, k3, k4] = this.k;
      for (let i = 0; i < n; i++)
        out[oo + i] = h[ho + i] + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      return;
    }
    this.implicitSolve(h, ho);
    for (let i = 0; i < n; i++) out[oo + i] = this.w[i];
  }

  /** RK4 stage slopes into `this.k`; stage states u_s are left in `this.w` for the last one only. */
  private rk4Stages(h: FloatArray, ho: number, jac?: (stage: number, state: Float64Array) => void): void {
    const n = this.stateSize;
    const dt = this.dt;
    const w = this.w;
    for (let i = 0; i < n; i++) w[i] = h[ho + i];
    const factors = [0.5, 0.5, 1];
    for (let s = 0; s < 4; s++) {
      if (jac) jac(s, w);
      this.rhs(w, 0, this.k[s]);
      if (s < 3) for (let i = 0; i < n; i++) w[i] = h[ho + i] + factors[s] * dt * this.k[s][i];
    }
  }

  /** Writes the next state and the dense Jacobian ∂s_t/∂s_{t−1} (row-major n×n). */
  denseJacobian(
    h: FloatArray,
    ho: number,
    x: FloatArray,
    xo: number,
    f: FloatArray,
    fo: number,
    jac: FloatArray,
    jo: number,
  ): void {
    const n = this.stateSize;
    const dt = this.dt;
    const sys = this.system;
    this.setForcing(x, xo);
    if (this.scheme === 'euler') {
      this.step(h, ho, x, xo, f, fo);
      sys.jacobian(h, ho, this.coo);
      for (let i = 0; i < n * n; i++) jac[jo + i] = 0;
      for (let i = 0; i < n; i++) jac[jo + i * n + i] = 1;
      const coo = this.coo;
      for (let e = 0; e < coo.count; e++) jac[jo + coo.rows[e] * n + coo.cols[e]] += dt * coo.values[e];
      return;
    }
    if (this.scheme === 'rk4') {
      // dU_s = ∂(stage state)/∂u; K_s = J_F(u_s) dU_s; result I + Δt/6 (K1 + 2K2 + 2K3 + K4).
      const dU = this.matA;
      const K = this.matB;
      const acc = this.matC;
      dU.fill(0);
      for (let i = 0; i < n; i++) dU[i * n + i] = 1;
      acc.fill(0);
      const weights = [1, 2, 2, 1];
      const factors = [0.5, 0.5, 1];
      this.rk4Stages(h, ho, (s, state) => {
        sys.jacobian(state, 0, this.coo);
        cooTimesDense(this.coo, dU, K);
        for (let i = 0; i < n * n; i++) acc[i] += weights[s] * K[i];
        if (s < 3) {
          dU.fill(0);
          for (let i = 0; i < n; i++) dU[i * n + i] = 1;
          for (let i = 0; i < n * n; i++) dU[i] += factors[s] * dt * K[i];
        }
      });
      const [k1, k2, k3, k4] = this.k;
      for (let i = 0; i < n; i++) f[fo + i] = h[ho + i] + (dt / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
      for (let i = 0; i < n * n; i++) jac[jo + i] = (dt / 6) * acc[i];
      for (let i = 0; i < n; i++) jac[jo + i * n + i] += 1;
      return;
    }
    this.implicitJacobian(h, ho, f, fo);
    const X = this.matB;
    for (let i = 0; i < n * n; i++) jac[jo + i] = X[i];
  }

  /** θ-method: new state to f, (I − θΔt J_F(w))⁻¹ (I + (1−θ)Δt J_F(u)) to `this.matB`. */
  private implicitJacobian(h: FloatArray, ho: number, f: FloatArray, fo: number): void {
    const n = this.stateSize;
    const dt = this.dt;
    const sys = this.system;
    this.implicitSolve(h, ho);
    for (let i = 0; i < n; i++) f[fo + i] = this.w[i];
    // B = I + (1 − θ)Δt J_F(u), dense; then re-factor M at the final w and solve column by column.
    const B = this.matB;
    B.fill(0);
    for (let i = 0; i < n; i++) B[i * n + i] = 1;
    if (this.theta < 1) {
      sys.jacobian(h, ho, this.coo);
      const coo = this.coo;
      for (let e = 0; e < coo.count; e++)
        B[coo.rows[e] * n + coo.cols[e]] += (1 - this.theta) * dt * coo.values[e];
    }
    sys.jacobian(this.w, 0, this.coo);
    this.factorIteration();
    for (let j = 0; j < n; j++) this.solveIteration(B, j, n);
  }

  /**
   * Writes the next state and diag(∂s_t/∂s_{t−1}): directly in O(n) for Euler (1 + Δt diag J_F); through
   * the dense Jacobian for RK4 and the θ-methods (documented cost).
   */
  diagonalJacobian(
    h: FloatArray,
    ho: number,
    x: FloatArray,
    xo: number,
    f: FloatArray,
    fo: number,
    diag: FloatArray,
    dOff: number,
  ): void {
    const n = this.stateSize;
    this.setForcing(x, xo);
    if (this.scheme === 'euler') {
      this.step(h, ho, x, xo, f, fo);
      this.system.jacobianDiagonal(h, ho, this.tmp);
      for (let i = 0; i < n; i++) diag[dOff + i] = 1 + this.dt * this.tmp[i];
      return;
    }
    if (this.scheme === 'rk4') {
      this.full ??= new Float64Array(n * n);
      const full = this.full;
      this.denseJacobian(h, ho, x, xo, f, fo, full, 0);
      for (let i = 0; i < n; i++) diag[dOff + i] = full[i * n + i];
      return;
    }
    this.implicitJacobian(h, ho, f, fo);
    for (let i = 0; i < n; i++) diag[dOff + i] = this.matB[i * n + i];
  }

  /**
   * Adds gᵀ ∂s_t/∂s_{t−1} to `gradH` and, with `forcing`, gᵀ ∂s_t/∂x_t to `gradX` (Euler: sparse, O(nnz);
   * RK4 and θ-methods through dense Jacobians). The step has no parameters.
   */
  vjp(
    h: FloatArray,
    ho: number,
    x: FloatArray,
    xo: number,
    g: FloatArray,
    go: number,
    gradH: FloatArray,
    gho: number,
    gradX?: FloatArray | null,
    gradXOffset = 0,
    _gradParams?: GradientMap | null,
  ): void {
    const n = this.stateSize;
    const dt = this.dt;
    this.setForcing(x, xo);
    const wantX = this.inputSize > 0 && !!gradX;
    if (this.scheme === 'euler') {
      // gᵀ(I + Δt J) = g + Δt Jᵀg;  ∂/∂x = Δt I.
      this.system.jacobian(h, ho, this.coo);
      const coo = this.coo;
      for (let i = 0; i < n; i++) gradH[gho + i] += g[go + i];
      for (let e = 0; e < coo.count; e++)
        gradH[gho + coo.cols[e]] += dt * coo.values[e] * g[go + coo.rows[e]];
      if (wantX && gradX) for (let i = 0; i < n; i++) gradX[gradXOffset + i] += dt * g[go + i];
      return;
    }
    this.full ??= new Float64Array(n * n);
    const full = this.full;
    this.denseJacobian(h, ho, x, xo, this.tmp, 0, full, 0);
    for (let i = 0; i < n; i++) {
      const gi = g[go + i];
      if (gi === 0) continue;
      for (let j = 0; j < n; j++) gradH[gho + j] += gi * full[i * n + j];
    }
    if (!wantX || !gradX) return;
    this.fullX ??= new Float64Array(n * n);
    const fx = this.fullX;
    if (this.scheme === 'rk4') this.rk4InputJacobian(h, ho, fx);
    else {
      // ∂w/∂x = Δt (I − θΔt J_F(w))⁻¹; the factors of M at w are still in place after denseJacobian.
      fx.fill(0);
      for (let i = 0; i < n; i++) fx[i * n + i] = dt;
      for (let j = 0; j < n; j++) this.solveIteration(fx, j, n);
    }
    for (let i = 0; i < n; i++) {
      const gi = g[go + i];
      if (gi === 0) continue;
      for (let j = 0; j < n; j++) gradX[gradXOffset + j] += gi * fx[i * n + j];
    }
  }

  /** RK4: ∂s_t/∂x_t by the chain rule (stage inputs enter every slope). Writes n×n to `out`. */
  private rk4InputJacobian(h: FloatArray, ho: number, out: Float64Array): void {
    const n = this.stateSize;
    const dt = this.dt;
    const dX = this.matA;
    const K = this.matB;
    const acc = this.matC;
    dX.fill(0);
    acc.fill(0);
    const weights = [1, 2, 2, 1];
    const factors = [0.5, 0.5, 1];
    this.rk4Stages(h, ho, (s, state) => {
      // K_s = J_F(u_s) dX_s + I;  dX_{s+1} = c_s Δt K_s.
      this.system.jacobian(state, 0, this.coo);
      cooTimesDense(this.coo, dX, K);
      for (let i = 0; i < n; i++) K[i * n + i] += 1;
      for (let i = 0; i < n * n; i++) acc[i] += weights[s] * K[i];
      if (s < 3) for (let i = 0; i < n * n; i++) dX[i] = factors[s] * dt * K[i];
    });
    for (let i = 0; i < n * n; i++) out[i] = (dt / 6) * acc[i];
  }
}

/**
 * Wraps a method-of-lines system in a time-stepping `Cell` for the DEER-family solvers.
 *
 * @example
 * ```ts
 * import { allenCahnEquation, createTimeStepCell, grid1d } from '@antler/zoo';
 * const system = allenCahnEquation(grid1d(64, 1, { kind: 'neumann' }), 0.05);
 * const cell = createTimeStepCell(system, { scheme: 'crank-nicolson', dt: 0.01 });
 * // cell.step(u, 0, new Float64Array(0), 0, next, 0) advances one step; pass `cell` to `solve`.
 * ```
 */
export function createTimeStepCell(system: MolSystem, options: TimeStepOptions): TimeStepCell {
  return new TimeStepCell(system, options);
}
