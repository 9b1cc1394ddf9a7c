/**
 * The arithmetic of one GRU step (PyTorch or Flax bias placement), shared by `gru` and `ar-gru`.
 * Internal: every buffer is allocated once here, every method is allocation-free.
 */
import type { FloatArray, GradientMap } from '@antler/core';
import { gemvAdd, gemvTransposeAdd, outerAdd, sigmoid } from '../matvec.js';

/** Gate values and derivative coefficients of the last {@link GruKernel.forward} call. */
export class GruKernel {
  readonly r: Float64Array;
  readonly z: Float64Array;
  readonly n: Float64Array;
  /** W_hn h + b_hn, the hidden part of the candidate gate that r multiplies. */
  readonly ghn: Float64Array;
  /** Row coefficients of ∂h'/∂(gate pre-activations): cz = (h − n) z(1 − z), cn = (1 − z)(1 − n²), cr = cn ghn r(1 − r). */
  readonly cz: Float64Array;
  readonly cn: Float64Array;
  readonly cr: Float64Array;
  private readonly gi: Float64Array;
  private readonly gh: Float64Array;
  private readonly dgi: Float64Array;
  private readonly dgh: Float64Array;

  constructor(
    readonly hidden: number,
    readonly input: number,
    readonly wih: Float64Array,
    readonly whh: Float64Array,
    readonly bih: Float64Array | undefined,
    /** [3H] (PyTorch) or [H] (Flax: the candidate gate's hidden bias only). */
    readonly bhh: Float64Array | undefined,
    readonly flax: boolean,
  ) {
    const H = hidden;
    this.r = new Float64Array(H);
    this.z = new Float64Array(H);
    this.n = new Float64Array(H);
    this.ghn = new Float64Array(H);
    this.cz = new Float64Array(H);
    this.cn = new Float64Array(H);
    this.cr = new Float64Array(H);
    this.gi = new Float64Array(3 * H);
    this.gh = new Float64Array(3 * H);
    this.dgi = new Float64Array(3 * H);
    this.dgh = new Float64Array(3 * H);
  }

  /** Computes r, z, n, ghn at (h, x). */
  forward(h: FloatArray, ho: number, x: FloatArray, xo: number): void {
    const { hidden: H, gi, gh, bih, bhh } = this;
    if (bih) gi.set(bih);
    else gi.fill(0);
    gh.fill(0);
    if (bhh) {
      if (this.flax) for (let i = 0; i < H; i++) gh[2 * H + i] = bhh[i];
      else gh.set(bhh);
    }
    gemvAdd(this.wih, 0, 3 * H, this.input, x, xo, gi, 0);
    gemvAdd(this.whh, 0, 3 * H, H, h, ho, gh, 0);
    for (let i = 0; i < H; i++) {
      const r = sigmoid(gi[i] + gh[i]);
      const z = sigmoid(gi[H + i] + gh[H + i]);
      const ghn = gh[2 * H + i];
      this.r[i] = r;
      this.z[i] = z;
      this.ghn[i] = ghn;
      this.n[i] = Math.tanh(gi[2 * H + i] + r * ghn);
    }
  }

  /** Writes h' = (1 − z) ⊙ n + z ⊙ h (after {@link forward}); `out` may alias `h`. */
  output(h: FloatArray, ho: number, out: FloatArray, oo: number): void {
    for (let i = 0; i < this.hidden; i++) {
      const z = this.z[i];
      out[oo + i] = (1 - z) * this.n[i] + z * h[ho + i];
    }
  }

  /** Fills cz, cn, cr (after {@link forward}); needs the old h. */
  coefficients(h: FloatArray, ho: number): void {
    for (let i = 0; i < this.hidden; i++) {
      const r = this.r[i];
      const z = this.z[i];
      const n = this.n[i];
      const cn = (1 - z) * (1 - n * n);
      this.cz[i] = (h[ho + i] - n) * z * (1 - z);
      this.cn[i] = cn;
      this.cr[i] = cn * this.ghn[i] * r * (1 - r);
    }
  }

  /** ∂h'_i/∂h_j (after {@link coefficients}). */
  hiddenEntry(i: number, j: number): number {
    const H = this.hidden;
    const w = this.whh;
    const v =
      this.cz[i] * w[(H + i) * H + j] +
      this.cr[i] * w[i * H + j] +
      this.cn[i] * this.r[i] * w[(2 * H + i) * H + j];
    return i === j ? v + this.z[i] : v;
  }

  /** Writes the dense ∂h'/∂h (H×H, row-major) at `jac[jo …]` (after {@link coefficients}). */
  denseHidden(jac: FloatArray, jo: number): void {
    const H = this.hidden;
    const w = this.whh;
    for (let i = 0; i < H; i++) {
      const cz = this.cz[i];
      const cr = this.cr[i];
      const cnr = this.cn[i] * this.r[i];
      const rr = i * H;
      const rz = (H + i) * H;
      const rn = (2 * H + i) * H;
      const o = jo + i * H;
      for (let j = 0; j < H; j++) jac[o + j] = cz * w[rz + j] + cr * w[rr + j] + cnr * w[rn + j];
      jac[o + i] = this.hiddenEntry(i, i);
    }
  }

  /** ∂h'_i/∂x_k (after {@link coefficients}). */
  inputEntry(i: number, k: number): number {
    const H = this.hidden;
    const m = this.input;
    const w = this.wih;
    return this.cz[i] * w[(H + i) * m + k] + this.cr[i] * w[i * m + k] + this.cn[i] * w[(2 * H + i) * m + k];
  }

  /**
   * Adds gᵀ∂h'/∂h to gradH, gᵀ∂h'/∂x to gradX and the parameter gradients under PyTorch names
   * (after {@link forward} at the same (h, x)).
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
    gradX: FloatArray | null,
    gxo: number,
    gradParams: GradientMap | null,
    prefix = '',
  ): void {
    const { hidden: H, input: m, dgi, dgh } = this;
    for (let i = 0; i < H; i++) {
      const gi = g[go + i];
      const r = this.r[i];
      const z = this.z[i];
      const n = this.n[i];
      const dan = gi * (1 - z) * (1 - n * n);
      const dar = dan * this.ghn[i] * r * (1 - r);
      const daz = gi * (h[ho + i] - n) * z * (1 - z);
      dgi[i] = dar;
      dgi[H + i] = daz;
      dgi[2 * H + i] = dan;
      dgh[i] = dar;
      dgh[H + i] = daz;
      dgh[2 * H + i] = dan * r;
      gradH[gho + i] += gi * z;
    }
    gemvTransposeAdd(this.whh, 0, 3 * H, H, dgh, 0, gradH, gho);
    if (gradX) gemvTransposeAdd(this.wih, 0, 3 * H, m, dgi, 0, gradX, gxo);
    if (!gradParams) return;
    const gwi = gradParams[`${prefix}weight_ih_l0`];
    if (gwi) outerAdd(gwi, 0, 3 * H, m, dgi, 0, x, xo);
    const gwh = gradParams[`${prefix}weight_hh_l0`];
    if (gwh) outerAdd(gwh, 0, 3 * H, H, dgh, 0, h, ho);
    const gbi = gradParams[`${prefix}bias_ih_l0`];
    if (gbi && this.bih) for (let k = 0; k < 3 * H; k++) gbi[k] += dgi[k];
    const gbh = gradParams[`${prefix}bias_hh_l0`];
    if (gbh && this.bhh) {
      if (this.flax) for (let i = 0; i < H; i++) gbh[i] += dgh[2 * H + i];
      else for (let k = 0; k < 3 * H; k++) gbh[k] += dgh[k];
    }
  }
}
