/**
 * Anderson acceleration (type II, Walker & Ni 2011) of a fixed-point iteration s ← G(s) over whole
 * trajectories, one independent history per batch slot. quasi-DEER is such an iteration (G = one diagonal
 * Newton step); it converges linearly, and Anderson mixing of the last m steps removes the slowest error
 * components of that linear rate. Work and memory are O(m·T·n) per slot: still O(n) per time step.
 *
 * With g_k = G(s_k) − s_k, ΔG_i = G(s_{i+1}) − G(s_i) and Δg_i = g_{i+1} − g_i over the last m iterations,
 * the mixed iterate is s_{k+1} = G(s_k) − Σ_i γ_i ΔG_i with γ = argmin ‖g_k − Σ_i γ_i Δg_i‖₂. The caller
 * safeguards it: when the mixed iterate raises the residual, {@link andersonPlain} restores G(s_k) and
 * {@link andersonReset} clears the history.
 */
import type { FloatArray } from '@antler/core';

/** The Anderson histories of every slot. */
export interface AndersonState {
  /** Steps kept (m). */
  readonly memory: number;
  /** Values per slot (T·n). */
  readonly size: number;
  /** ΔG columns `[slot][m][size]`. */
  readonly dG: Float64Array;
  /** Δg columns `[slot][m][size]`. */
  readonly dg: Float64Array;
  /** g of the previous iteration `[slot][size]`. */
  readonly gPrev: Float64Array;
  /** G(s) of the current iteration — the plain step — `[slot][size]`. */
  readonly gImage: Float64Array;
  /** Columns held per slot (≤ m). */
  readonly count: Int32Array;
  /** Next column to overwrite per slot. */
  readonly head: Int32Array;
  /** Whether gPrev / gImage hold a previous iteration, per slot. */
  readonly started: Uint8Array;
  /** Scratch: g of the current iteration. */
  readonly g: Float64Array;
}

/** Default number of past steps mixed. */
export const DEFAULT_ANDERSON_MEMORY = 3;

/** Allocates the histories of `slots` slots of `size` values each, keeping `memory` steps. */
export function createAndersonState(
  slots: number,
  size: number,
  memory = DEFAULT_ANDERSON_MEMORY,
): AndersonState {
  return {
    memory,
    size,
    dG: new Float64Array(slots * memory * size),
    dg: new Float64Array(slots * memory * size),
    gPrev: new Float64Array(slots * size),
    gImage: new Float64Array(slots * size),
    count: new Int32Array(slots),
    head: new Int32Array(slots),
    started: new Uint8Array(slots),
    g: new Float64Array(size),
  };
}

/** Forgets the mixing history of `slot` (the last plain step is kept as the next difference's base). */
export function andersonReset(st: AndersonState, slot: number): void {
  st.count[slot] = 0;
  st.head[slot] = 0;
}

/** Moves the history of slot `from` to slot `to` (batch compaction). */
export function andersonMoveSlot(st: AndersonState, from: number, to: number): void {
  const ms = st.memory * st.size;
  st.dG.copyWithin(to * ms, from * ms, (from + 1) * ms);
  st.dg.copyWithin(to * ms, from * ms, (from + 1) * ms);
  st.gPrev.copyWithin(to * st.size, from * st.size, (from + 1) * st.size);
  st.gImage.copyWithin(to * st.size, from * st.size, (from + 1) * st.size);
  st.count[to] = st.count[from];
  st.head[to] = st.head[from];
  st.started[to] = st.started[from];
}

/** Writes the plain step G(s_k) of `slot` (kept by the last {@link andersonMix}) to `out` at `oo`. */
export function andersonPlain(st: AndersonState, slot: number, out: FloatArray, oo: number): void {
  const base = slot * st.size;
  for (let i = 0; i < st.size; i++) out[oo + i] = st.gImage[base + i];
}

/**
 * Records the iteration s = `s[so …]` → G(s) = `image[io …]` of `slot` and overwrites `image[io + from …]`
 * with the mixed iterate (entries before `from` keep the plain step). Returns false (and leaves G(s) in place) when there is no history yet or the least-squares
 * problem is degenerate (the history is then cleared).
 */
export function andersonMix(
  st: AndersonState,
  slot: number,
  s: FloatArray,
  so: number,
  image: FloatArray,
  io: number,
  from = 0,
): boolean {
  const { size, memory: m, g } = st;
  const base = slot * size;
  for (let i = 0; i < size; i++) g[i] = image[io + i] - s[so + i];
  if (st.started[slot]) {
    const col = (slot * m + st.head[slot]) * size;
    for (let i = 0; i < size; i++) {
      st.dg[col + i] = g[i] - st.gPrev[base + i];
      st.dG[col + i] = image[io + i] - st.gImage[base + i];
    }
    st.head[slot] = (st.head[slot] + 1) % m;
    st.count[slot] = Math.min(st.count[slot] + 1, m);
  }
  for (let i = 0; i < size; i++) {
    st.gPrev[base + i] = g[i];
    st.gImage[base + i] = image[io + i];
  }
  st.started[slot] = 1;
  const c = st.count[slot];
  if (c === 0) return false;
  // Normal equations (Δgᵀ Δg + εI) γ = Δgᵀ g, c ≤ m small; ε relative to the diagonal guards rank loss.
  const M = new Float64Array(c * c);
  const rhs = new Float64Array(c);
  const colOf = (q: number): number => (slot * m + q) * size;
  for (let a = 0; a < c; a++) {
    const ca = colOf(a);
    let r = 0;
    for (let i = 0; i < size; i++) r += st.dg[ca + i] * g[i];
    rhs[a] = r;
    for (let b = a; b < c; b++) {
      const cb = colOf(b);
      let v = 0;
      for (let i = 0; i < size; i++) v += st.dg[ca + i] * st.dg[cb + i];
      M[a * c + b] = v;
      M[b * c + a] = v;
    }
  }
  let trace = 0;
  for (let a = 0; a < c; a++) trace += M[a * c + a];
  for (let a = 0; a < c; a++) M[a * c + a] += 1e-10 * (trace / c);
  const gamma = solveSmall(c, M, rhs);
  if (!gamma) {
    andersonReset(st, slot);
    return false;
  }
  for (let a = 0; a < c; a++) {
    const ca = colOf(a);
    const ga = gamma[a];
    for (let i = from; i < size; i++) image[io + i] -= ga * st.dG[ca + i];
  }
  return true;
}

/** Gaussian elimination with partial pivoting on a c×c system; null when singular or non-finite. */
function solveSmall(c: number, M: Float64Array, rhs: Float64Array): Float64Array | null {
  const a = M;
  const x = rhs;
  for (let col = 0; col < c; col++) {
    let piv = col;
    for (let r = col + 1; r < c; r++) if (Math.abs(a[r * c + col]) > Math.abs(a[piv * c + col])) piv = r;
    if (!(Math.abs(a[piv * c + col]) > 0)) return null;
    if (piv !== col) {
      for (let k = 0; k < c; k++) {
        const tmp = a[col * c + k];
        a[col * c + k] = a[piv * c + k];
        a[piv * c + k] = tmp;
      }
      const tmp = x[col];
      x[col] = x[piv];
      x[piv] = tmp;
    }
    for (let r = col + 1; r < c; r++) {
      const f = a[r * c + col] / a[col * c + col];
      for (let k = col; k < c; k++) a[r * c + k] -= f * a[col * c + k];
      x[r] -= f * x[col];
    }
  }
  for (let r = c - 1; r >= 0; r--) {
    let v = x[r];
    for (let k = r + 1; k < c; k++) v -= a[r * c + k] * x[k];
    x[r] = v / a[r * c + r];
    if (!Number.isFinite(x[r])) return null;
  }
  return x;
}
