/**
 * Lorenz-96 (D variables, cyclic, forcing F), one classical RK4 step of size dt per transition:
 *   dx_i/dt = (x_{i+1} − x_{i−2}) x_{i−1} − x_i + F.
 * Autonomous (input size 0). The step's Jacobian follows the chain rule through the four RK4 stages;
 * each stage Jacobian has 4 entries per row, so the full step Jacobian is cyclic-banded with offsets
 * −8 … +4 and is built in O(D) in that band form (dense output only scatters it).
 */
import { checkInteger, describeValue, type FloatArray, ShapeError } from '@antler/core';
import { readWeight, type WeightsLike } from '../parameters.js';
import type { ZooCell } from '../zoo-cell.js';

/** Options of {@link createLorenz96}. */
export interface Lorenz96Options {
  /** Number of variables D (≥ 4). */
  readonly size: number;
  /** Forcing F (default 8, the chaotic regime). Overridden by `weights.forcing` when given. */
  readonly forcing?: number;
  /** RK4 step size (default 0.01). */
  readonly dt?: number;
  /** Optional `{ forcing: [F] }`. */
  readonly weights?: WeightsLike;
}

const LO = -8; // lowest band offset of the RK4 step Jacobian
const WIDTH = 13; // offsets −8 … +4
const JF_OFFSETS = [-2, -1, 0, 1] as const;

/**
 * Creates a Lorenz-96 RK4 cell (state n = D, input m = 0, parameter `forcing` [1]).
 * Jacobians: dense, diagonal (O(D), from the band); VJP including ∂/∂F.
 *
 * @example
 * ```ts
 * import { createLorenz96 } from '@antler/zoo';
 * const cell = createLorenz96({ size: 40, forcing: 8, dt: 0.01 });
 * const s = new Float64Array(40).fill(8);
 * s[0] += 0.01;
 * cell.step(s, 0, new Float64Array(0), 0, s, 0);
 * ```
 */
export function createLorenz96(options: Lorenz96Options): ZooCell {
  const D = checkInteger(options?.size, 'options.size', 4);
  const dt = options.dt ?? 0.01;
  if (typeof dt !== 'number' || !Number.isFinite(dt) || dt <= 0) {
    throw new ShapeError('options.dt', 'a finite number > 0', describeValue(dt));
  }
  let F = options.forcing ?? 8;
  if (options.weights) {
    const t = readWeight(options.weights, 'forcing');
    if (t?.data.length !== 1) {
      throw new ShapeError(
        'weights.forcing',
        'a tensor of shape [1]',
        t ? `shape [${t.shape.join(', ')}]` : 'missing',
      );
    }
    F = t.data[0];
  }
  if (typeof F !== 'number' || !Number.isFinite(F))
    throw new ShapeError('options.forcing', 'a finite number', describeValue(F));
  const forcing = { shape: [1], data: Float64Array.of(F) };
  const stages = new Float64Array(4 * D); // x at each RK4 stage
  const k = new Float64Array(D);
  const acc = new Float64Array(D); // k1 + 2k2 + 2k3 + k4
  const kPrev = new Float64Array(D * WIDTH); // band of the previous stage's K
  const kNew = new Float64Array(D * WIDTH);
  const band = new Float64Array(D * WIDTH); // band of Σ w_s K_s, then of the step Jacobian
  const v = new Float64Array(D); // ∂k_s/∂F
  const vAcc = new Float64Array(D);
  const vTmp = new Float64Array(D);
  const row = new Float64Array(D); // one dense Jacobian row, summed in double
  const C = [0, dt / 2, dt / 2, dt]; // stage s input: x + C[s] k_{s−1}
  const W = [1, 2, 2, 1];
  const wrap = (i: number): number => ((i % D) + D) % D;

  const rhs = (xs: Float64Array, o: number, out: Float64Array): void => {
    const f = forcing.data[0];
    for (let i = 0; i < D; i++) {
      const xp = xs[o + wrap(i + 1)];
      const xm1 = xs[o + wrap(i - 1)];
      const xm2 = xs[o + wrap(i - 2)];
      out[i] = (xp - xm2) * xm1 - xs[o + i] + f;
    }
  };
  /** ∂f_i/∂x_{i+a} at stage state xs, for a ∈ {−2, −1, 0, 1}. */
  const jf = (xs: Float64Array, o: number, i: number, a: number): number => {
    const xm1 = xs[o + wrap(i - 1)];
    if (a === 1) return xm1;
    if (a === -2) return -xm1;
    if (a === -1) return xs[o + wrap(i + 1)] - xs[o + wrap(i - 2)];
    return -1;
  };
  /** Runs the four stages from h, leaving stage states in `stages`, Σ w_s k_s in `acc`. */
  const forward = (h: FloatArray, ho: number): void => {
    for (let i = 0; i < D; i++) stages[i] = h[ho + i];
    acc.fill(0);
    for (let s = 0; s < 4; s++) {
      if (s > 0) for (let i = 0; i < D; i++) stages[s * D + i] = stages[i] + C[s] * k[i];
      rhs(stages, s * D, k);
      for (let i = 0; i < D; i++) acc[i] += W[s] * k[i];
    }
  };
  const write = (h: FloatArray, ho: number, out: FloatArray, oo: number): void => {
    for (let i = 0; i < D; i++) out[oo + i] = h[ho + i] + (dt / 6) * acc[i];
  };
  /** Fills `band` with the step Jacobian I + dt/6 Σ w_s K_s, K_s = Jf(x_s)(I + C_s K_{s−1}). */
  const buildBand = (): void => {
    band.fill(0);
    kPrev.fill(0);
    for (let s = 0; s < 4; s++) {
      kNew.fill(0);
      const so = s * D;
      for (let i = 0; i < D; i++) {
        const row = i * WIDTH;
        for (const a of JF_OFFSETS) {
          const ja = jf(stages, so, i, a);
          kNew[row + a - LO] += ja;
          if (s === 0) continue;
          const cja = C[s] * ja;
          const prow = wrap(i + a) * WIDTH;
          // Kprev has offsets within −2s … s; a + b stays within −8 … 4.
          for (let b = -2 * s; b <= s; b++) kNew[row + a + b - LO] += cja * kPrev[prow + b - LO];
        }
      }
      for (let q = 0; q < D * WIDTH; q++) band[q] += W[s] * kNew[q];
      kPrev.set(kNew);
    }
    for (let q = 0; q < D * WIDTH; q++) band[q] *= dt / 6;
    for (let i = 0; i < D; i++) band[i * WIDTH - LO] += 1;
  };

  return {
    kind: 'lorenz96',
    stateSize: D,
    inputSize: 0,
    parameters: { forcing },
    config: { size: D, dt }, // F lives in parameters.forcing (trainable), not here
    step(h, ho, _x, _xo, out, oo) {
      forward(h, ho);
      write(h, ho, out, oo);
    },
    denseJacobian(h, ho, _x, _xo, f, fo, jac, jo) {
      forward(h, ho);
      buildBand();
      for (let i = 0; i < D; i++) {
        // Summed in double: for D < 13 several band offsets land on the same column.
        row.fill(0);
        for (let o = 0; o < WIDTH; o++) row[wrap(i + o + LO)] += band[i * WIDTH + o];
        for (let j = 0; j < D; j++) jac[jo + i * D + j] = row[j];
      }
      write(h, ho, f, fo);
    },
    diagonalJacobian(h, ho, _x, _xo, f, fo, diag, dgo) {
      forward(h, ho);
      buildBand();
      for (let i = 0; i < D; i++) {
        let sum = 0;
        for (let o = 0; o < WIDTH; o++) if (wrap(o + LO) === 0) sum += band[i * WIDTH + o];
        diag[dgo + i] = sum;
      }
      write(h, ho, f, fo);
    },
    vjp(h, ho, _x, _xo, g, go, gradH, gho, _gradX, _gxo, gradParams) {
      forward(h, ho);
      buildBand();
      for (let i = 0; i < D; i++) {
        const gi = g[go + i];
        for (let o = 0; o < WIDTH; o++) gradH[gho + wrap(i + o + LO)] += gi * band[i * WIDTH + o];
      }
      const gf = gradParams?.forcing;
      if (!gf) return;
      // v_1 = 1, v_s = 1 + C_s Jf(x_s) v_{s−1}; ∂x'/∂F = dt/6 Σ w_s v_s.
      v.fill(1);
      for (let i = 0; i < D; i++) vAcc[i] = 1;
      for (let s = 1; s < 4; s++) {
        for (let i = 0; i < D; i++) {
          let sum = 0;
          for (const a of JF_OFFSETS) sum += jf(stages, s * D, i, a) * v[wrap(i + a)];
          vTmp[i] = 1 + C[s] * sum;
        }
        v.set(vTmp);
        for (let i = 0; i < D; i++) vAcc[i] += W[s] * v[i];
      }
      let dF = 0;
      for (let i = 0; i < D; i++) dF += g[go + i] * (dt / 6) * vAcc[i];
      gf[0] += dF;
    },
  };
}
