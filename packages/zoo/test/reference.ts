/**
 * Independent float64 references written from the formulas (PyTorch / Flax docs), with plain nested
 * arrays, sharing no code with the cells.
 */
import { randn } from './helpers.js';

/** A PyTorch-style state dict of nested arrays with N(0, std²) entries. */
export function nested(rows: number, cols: number, seed: number, std = 0.5): number[][] {
  const d = randn(rows * cols, seed, std);
  return Array.from({ length: rows }, (_, i) => Array.from(d.subarray(i * cols, (i + 1) * cols)));
}
export function vec(len: number, seed: number, std = 0.5): number[] {
  return Array.from(randn(len, seed, std));
}
export const sig = (a: number) => 1 / (1 + Math.exp(-a));
export const dot = (w: number[], v: ArrayLike<number>) => w.reduce((s, wi, j) => s + wi * v[j], 0);

/** Independent float64 reference of torch.nn.RNN's cell. */
export function elmanRef(
  sd: Record<string, number[][] | number[]>,
  h: Float64Array,
  x: Float64Array,
  act: (a: number) => number,
): number[] {
  const wih = sd.weight_ih_l0 as number[][];
  const whh = sd.weight_hh_l0 as number[][];
  const bih = sd.bias_ih_l0 as number[];
  const bhh = sd.bias_hh_l0 as number[];
  return whh.map((_, i) => act(dot(wih[i], x) + bih[i] + dot(whh[i], h) + bhh[i]));
}

/** Independent float64 reference of torch.nn.GRU's cell (flax: no b_hr, b_hz; bias_hh = b_hn). */
export function gruRef(
  sd: Record<string, number[][] | number[]>,
  h: Float64Array,
  x: Float64Array,
  flax: boolean,
): number[] {
  const wih = sd.weight_ih_l0 as number[][];
  const whh = sd.weight_hh_l0 as number[][];
  const bih = sd.bias_ih_l0 as number[];
  const bhh = sd.bias_hh_l0 as number[];
  const H = h.length;
  const out: number[] = [];
  for (let i = 0; i < H; i++) {
    const br = flax ? 0 : bhh[i];
    const bz = flax ? 0 : bhh[H + i];
    const bn = flax ? bhh[i] : bhh[2 * H + i];
    const r = sig(dot(wih[i], x) + bih[i] + dot(whh[i], h) + br);
    const z = sig(dot(wih[H + i], x) + bih[H + i] + dot(whh[H + i], h) + bz);
    const n = Math.tanh(dot(wih[2 * H + i], x) + bih[2 * H + i] + r * (dot(whh[2 * H + i], h) + bn));
    out.push((1 - z) * n + z * h[i]);
  }
  return out;
}

/** torch.nn.LSTM's cell on state [h, c]. */
export function lstmRef(
  sd: Record<string, number[][] | number[]>,
  h: ArrayLike<number>,
  c: ArrayLike<number>,
  x: ArrayLike<number>,
): { h: number[]; c: number[] } {
  const wih = sd.weight_ih_l0 as number[][];
  const whh = sd.weight_hh_l0 as number[][];
  const bih = sd.bias_ih_l0 as number[];
  const bhh = sd.bias_hh_l0 as number[];
  const H = whh[0].length;
  const pre = (k: number) => dot(wih[k], x) + bih[k] + dot(whh[k], h) + bhh[k];
  const hOut: number[] = [];
  const cOut: number[] = [];
  for (let i = 0; i < H; i++) {
    const ig = sig(pre(i));
    const fg = sig(pre(H + i));
    const gg = Math.tanh(pre(2 * H + i));
    const og = sig(pre(3 * H + i));
    const cn = fg * c[i] + ig * gg;
    cOut.push(cn);
    hOut.push(og * Math.tanh(cn));
  }
  return { h: hOut, c: cOut };
}

/** A square matrix with `d` on its diagonal (to express a diagonal recurrence as a dense one). */
export function diagMatrix(d: ArrayLike<number>, start: number, H: number): number[][] {
  return Array.from({ length: H }, (_, i) =>
    Array.from({ length: H }, (_, j) => (i === j ? d[start + i] : 0)),
  );
}
