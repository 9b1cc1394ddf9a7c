/**
 * ParaRNN-style cells (Danieli et al. 2025): GRU and LSTM whose recurrent weights are diagonal, so the
 * Jacobian of a step is exactly diagonal (para-gru) or exactly 2×2-block-diagonal (para-lstm); the
 * diagonal and block solvers are then exact Newton (DEER) methods at O(n) cost per step.
 *
 *   para-gru:  r = σ(W_ir x + b_ir + w_hr ⊙ h + b_hr),  z = σ(W_iz x + b_iz + w_hz ⊙ h + b_hz),
 *              n = tanh(W_in x + b_in + r ⊙ (w_hn ⊙ h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
 *   para-lstm: [i, f, g, o] = [σ, σ, tanh, σ](W_ih x + b_ih + w_hh ⊙ [h; h; h; h] + b_hh),
 *              c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c'),  state interleaved [h_0, c_0, h_1, c_1, …]
 * `weight_hh_l0` is the stacked diagonal: [3H] (r, z, n) or [4H] (i, f, g, o).
 */
import { checkInteger, type FloatArray, ShapeError } from '@antler/core';
import { gemvAdd, gemvTransposeAdd, outerAdd, sigmoid } from '../matvec.js';
import { loadParameters, type ParameterSpec, randomParameters, requireWeight } from '../parameters.js';
import { type CellSource, hasWeights, type ZooCell } from '../zoo-cell.js';

/** Options of {@link createParaGru} and {@link createParaLstm}. */
export type ParaRnnOptions = CellSource;

function paraSpecs(gates: number, hidden: number, input: number): ParameterSpec[] {
  return [
    { name: 'weight_ih_l0', shape: [gates * hidden, input] },
    { name: 'weight_hh_l0', shape: [gates * hidden] },
    { name: 'bias_ih_l0', shape: [gates * hidden], optional: true },
    { name: 'bias_hh_l0', shape: [gates * hidden], optional: true },
  ];
}

function paraParameters(options: ParaRnnOptions, kind: string, gates: number) {
  if (hasWeights(options)) {
    const whh = requireWeight(options.weights, 'weight_hh_l0', kind);
    const wih = requireWeight(options.weights, 'weight_ih_l0', kind);
    if (whh.shape.length !== 1 || whh.shape[0] % gates !== 0 || whh.shape[0] === 0) {
      throw new ShapeError(
        'weights.weight_hh_l0',
        `shape [${gates}H] (the stacked diagonals)`,
        `shape [${whh.shape.join(', ')}]`,
      );
    }
    const H = whh.shape[0] / gates;
    const m = wih.shape[1] ?? 0;
    return { H, m, params: loadParameters(options.weights, paraSpecs(gates, H, m), kind) };
  }
  const H = checkInteger(options.hiddenSize, 'options.hiddenSize');
  const m = checkInteger(options.inputSize, 'options.inputSize', 0);
  return { H, m, params: randomParameters(paraSpecs(gates, H, m), H, options.seed, options.scale) };
}

/** gi = W_ih x + b_ih (+ b_hh on the first `hiddenBiasRows` rows): the h-independent pre-activations. */
function inputPart(
  gi: Float64Array,
  wih: Float64Array,
  bih: Float64Array | undefined,
  bhh: Float64Array | undefined,
  hiddenBiasRows: number,
  rows: number,
  m: number,
  x: FloatArray,
  xo: number,
): void {
  for (let k = 0; k < rows; k++) gi[k] = (bih ? bih[k] : 0) + (bhh && k < hiddenBiasRows ? bhh[k] : 0);
  gemvAdd(wih, 0, rows, m, x, xo, gi, 0);
}

/**
 * Creates a para-gru cell (state n = H, exactly diagonal Jacobian).
 *
 * @example
 * ```ts
 * import { createParaGru } from '@antler/zoo';
 * const cell = createParaGru({ hiddenSize: 32, inputSize: 4, seed: 0 });
 * ```
 */
export function createParaGru(options: ParaRnnOptions): ZooCell {
  const { H, m, params } = paraParameters(options, 'para-gru', 3);
  const wih = params.weight_ih_l0.data;
  const w = params.weight_hh_l0.data;
  const bih = params.bias_ih_l0?.data;
  const bhh = params.bias_hh_l0?.data;
  const gi = new Float64Array(3 * H);
  const r = new Float64Array(H);
  const z = new Float64Array(H);
  const nn = new Float64Array(H);
  const ghn = new Float64Array(H);
  const d = new Float64Array(3 * H);
  const forward = (h: FloatArray, ho: number, x: FloatArray, xo: number): void => {
    inputPart(gi, wih, bih, bhh, 2 * H, 3 * H, m, x, xo); // b_hn sits inside r ⊙ (·)
    for (let i = 0; i < H; i++) {
      const hi = h[ho + i];
      const ri = sigmoid(gi[i] + w[i] * hi);
      const zi = sigmoid(gi[H + i] + w[H + i] * hi);
      const g = w[2 * H + i] * hi + (bhh ? bhh[2 * H + i] : 0);
      r[i] = ri;
      z[i] = zi;
      ghn[i] = g;
      nn[i] = Math.tanh(gi[2 * H + i] + ri * g);
    }
  };
  const write = (h: FloatArray, ho: number, out: FloatArray, oo: number): void => {
    for (let i = 0; i < H; i++) out[oo + i] = (1 - z[i]) * nn[i] + z[i] * h[ho + i];
  };
  const diagEntry = (h: FloatArray, ho: number, i: number): number => {
    const cn = (1 - z[i]) * (1 - nn[i] * nn[i]);
    const cz = (h[ho + i] - nn[i]) * z[i] * (1 - z[i]);
    const cr = cn * ghn[i] * r[i] * (1 - r[i]);
    return cz * w[H + i] + cr * w[i] + cn * r[i] * w[2 * H + i] + z[i];
  };
  return {
    kind: 'para-gru',
    stateSize: H,
    inputSize: m,
    parameters: params,
    config: { hiddenSize: H, inputSize: m, recurrence: 'diagonal' },
    step(h, ho, x, xo, out, oo) {
      forward(h, ho, x, xo);
      write(h, ho, out, oo);
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < H; i++) {
        for (let j = 0; j < H; j++) jac[jo + i * H + j] = 0;
        jac[jo + i * H + i] = diagEntry(h, ho, i);
      }
      write(h, ho, f, fo);
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dgo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < H; i++) diag[dgo + i] = diagEntry(h, ho, i);
      write(h, ho, f, fo);
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams) {
      forward(h, ho, x, xo);
      const gw = gradParams?.weight_hh_l0;
      const gbh = gradParams?.bias_hh_l0;
      for (let i = 0; i < H; i++) {
        const gi_ = g[go + i];
        const hi = h[ho + i];
        const dan = gi_ * (1 - z[i]) * (1 - nn[i] * nn[i]);
        const dar = dan * ghn[i] * r[i] * (1 - r[i]);
        const daz = gi_ * (hi - nn[i]) * z[i] * (1 - z[i]);
        d[i] = dar;
        d[H + i] = daz;
        d[2 * H + i] = dan;
        gradH[gho + i] += gi_ * z[i] + dar * w[i] + daz * w[H + i] + dan * r[i] * w[2 * H + i];
        if (gw) {
          gw[i] += dar * hi;
          gw[H + i] += daz * hi;
          gw[2 * H + i] += dan * r[i] * hi;
        }
        if (gbh && bhh) {
          gbh[i] += dar;
          gbh[H + i] += daz;
          gbh[2 * H + i] += dan * r[i];
        }
      }
      if (gradX) gemvTransposeAdd(wih, 0, 3 * H, m, d, 0, gradX, gxo);
      if (!gradParams) return;
      if (gradParams.weight_ih_l0) outerAdd(gradParams.weight_ih_l0, 0, 3 * H, m, d, 0, x, xo);
      const gbi = gradParams.bias_ih_l0;
      if (gbi && bih) for (let k = 0; k < 3 * H; k++) gbi[k] += d[k];
    },
  };
}

/**
 * Creates a para-lstm cell: state interleaved `[h_0, c_0, h_1, c_1, …]` (n = 2H) so that its Jacobian
 * is exactly 2×2-block-diagonal (`blockSize` 2, block p over [h_p, c_p]); dense, diagonal and block
 * Jacobians and a VJP.
 *
 * @example
 * ```ts
 * import { createParaLstm } from '@antler/zoo';
 * const cell = createParaLstm({ hiddenSize: 16, inputSize: 4, seed: 0 }); // stateSize 32, blockSize 2
 * ```
 */
export function createParaLstm(options: ParaRnnOptions): ZooCell {
  const { H, m, params } = paraParameters(options, 'para-lstm', 4);
  const wih = params.weight_ih_l0.data;
  const w = params.weight_hh_l0.data;
  const bih = params.bias_ih_l0?.data;
  const bhh = params.bias_hh_l0?.data;
  const gi = new Float64Array(4 * H);
  const gate = new Float64Array(4 * H); // i, f, g, o values
  const cNew = new Float64Array(H);
  const tc = new Float64Array(H);
  const blk = new Float64Array(4); // one 2×2 block, row-major [[∂h'/∂h, ∂h'/∂c], [∂c'/∂h, ∂c'/∂c]]
  const d = new Float64Array(4 * H);
  const forward = (s: FloatArray, so: number, x: FloatArray, xo: number): void => {
    inputPart(gi, wih, bih, bhh, 4 * H, 4 * H, m, x, xo);
    for (let p = 0; p < H; p++) {
      const h = s[so + 2 * p];
      const ig = sigmoid(gi[p] + w[p] * h);
      const fg = sigmoid(gi[H + p] + w[H + p] * h);
      const gg = Math.tanh(gi[2 * H + p] + w[2 * H + p] * h);
      const og = sigmoid(gi[3 * H + p] + w[3 * H + p] * h);
      gate[p] = ig;
      gate[H + p] = fg;
      gate[2 * H + p] = gg;
      gate[3 * H + p] = og;
      const c = fg * s[so + 2 * p + 1] + ig * gg;
      cNew[p] = c;
      tc[p] = Math.tanh(c);
    }
  };
  const write = (out: FloatArray, oo: number): void => {
    for (let p = 0; p < H; p++) {
      out[oo + 2 * p] = gate[3 * H + p] * tc[p];
      out[oo + 2 * p + 1] = cNew[p];
    }
  };
  const block = (s: FloatArray, so: number, p: number): void => {
    const ig = gate[p];
    const fg = gate[H + p];
    const gg = gate[2 * H + p];
    const og = gate[3 * H + p];
    const c = s[so + 2 * p + 1];
    const dcdh = gg * ig * (1 - ig) * w[p] + c * fg * (1 - fg) * w[H + p] + ig * (1 - gg * gg) * w[2 * H + p];
    const kc = og * (1 - tc[p] * tc[p]);
    blk[0] = tc[p] * og * (1 - og) * w[3 * H + p] + kc * dcdh;
    blk[1] = kc * fg;
    blk[2] = dcdh;
    blk[3] = fg;
  };
  const n = 2 * H;
  return {
    kind: 'para-lstm',
    stateSize: n,
    inputSize: m,
    blockSize: 2,
    parameters: params,
    config: { hiddenSize: H, inputSize: m, recurrence: 'diagonal', stateLayout: 'interleaved h,c' },
    step(s, so, x, xo, out, oo) {
      forward(s, so, x, xo);
      write(out, oo);
    },
    denseJacobian(s, so, x, xo, f, fo, jac, jo) {
      forward(s, so, x, xo);
      jac.fill(0, jo, jo + n * n);
      for (let p = 0; p < H; p++) {
        block(s, so, p);
        const r0 = jo + 2 * p * n + 2 * p;
        jac[r0] = blk[0];
        jac[r0 + 1] = blk[1];
        jac[r0 + n] = blk[2];
        jac[r0 + n + 1] = blk[3];
      }
      write(f, fo);
    },
    diagonalJacobian(s, so, x, xo, f, fo, diag, dgo) {
      forward(s, so, x, xo);
      for (let p = 0; p < H; p++) {
        block(s, so, p);
        diag[dgo + 2 * p] = blk[0];
        diag[dgo + 2 * p + 1] = blk[3];
      }
      write(f, fo);
    },
    blockJacobian(s, so, x, xo, f, fo, blocks, bo) {
      forward(s, so, x, xo);
      for (let p = 0; p < H; p++) {
        block(s, so, p);
        for (let k = 0; k < 4; k++) blocks[bo + 4 * p + k] = blk[k];
      }
      write(f, fo);
    },
    vjp(s, so, x, xo, g, go, gradS, gso, gradX, gxo, gradParams) {
      forward(s, so, x, xo);
      const gw = gradParams?.weight_hh_l0;
      const gbh = gradParams?.bias_hh_l0;
      for (let p = 0; p < H; p++) {
        const ig = gate[p];
        const fg = gate[H + p];
        const gg = gate[2 * H + p];
        const og = gate[3 * H + p];
        const h = s[so + 2 * p];
        const gh = g[go + 2 * p];
        const gc = g[go + 2 * p + 1] + gh * og * (1 - tc[p] * tc[p]);
        const di = gc * gg * ig * (1 - ig);
        const df = gc * s[so + 2 * p + 1] * fg * (1 - fg);
        const dg = gc * ig * (1 - gg * gg);
        const dO = gh * tc[p] * og * (1 - og);
        d[p] = di;
        d[H + p] = df;
        d[2 * H + p] = dg;
        d[3 * H + p] = dO;
        gradS[gso + 2 * p] += di * w[p] + df * w[H + p] + dg * w[2 * H + p] + dO * w[3 * H + p];
        gradS[gso + 2 * p + 1] += gc * fg;
        if (gw) for (let k = 0; k < 4; k++) gw[k * H + p] += d[k * H + p] * h;
        if (gbh && bhh) for (let k = 0; k < 4; k++) gbh[k * H + p] += d[k * H + p];
      }
      if (gradX) gemvTransposeAdd(wih, 0, 4 * H, m, d, 0, gradX, gxo);
      if (!gradParams) return;
      if (gradParams.weight_ih_l0) outerAdd(gradParams.weight_ih_l0, 0, 4 * H, m, d, 0, x, xo);
      const gbi = gradParams.bias_ih_l0;
      if (gbi && bih) for (let k = 0; k < 4 * H; k++) gbi[k] += d[k];
    },
  };
}
