/** `antler solve --grad-out [--cotangent]`: gradients written as JSON, checked against BPTT and finite differences. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cell } from '@antler/core';
import { cellFromWeights } from '@antler/zoo';
import { afterAll, describe, expect, it } from 'vitest';
import { runSolveCommand, type SolveCommandOptions } from '../src/commands/solve.js';
import { nestArray } from '../src/train/gradient-output.js';

const dir = mkdtempSync(join(tmpdir(), 'antler-grad-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, value: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
};

const H = 3;
const m = 2;
const B = 2;
const T = 25;
const wave = (count: number, k: number): number[] =>
  Array.from({ length: count }, (_, i) => 0.5 * Math.sin(1.3 * i + k));
const state = {
  weight_ih_l0: nestArray(wave(3 * H * m, 1), [3 * H, m]) as number[][],
  weight_hh_l0: nestArray(wave(3 * H * H, 2), [3 * H, H]) as number[][],
  bias_ih_l0: wave(3 * H, 3),
  bias_hh_l0: wave(3 * H, 4),
};
const weights = file('gru.json', state);
const x = wave(B * T * m, 5);
const inputs = file('inputs.json', nestArray(x, [B, T, m]));
const h0flat = wave(B * H, 6);
const h0 = file('h0.json', nestArray(h0flat, [B, H]));
const gflat = wave(B * T * H, 7).map((v) => 2 * v);
const cotangent = file('g.json', nestArray(gflat, [B, T, H]));

function flatten(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flatten) : [v as number];
}

/** Sequential states and L = Σ⟨g, s⟩ for a cell. */
function lossOf(cell: Cell, xs: Float64Array, h: Float64Array, g: number[]): number {
  const s = new Float64Array(B * T * H);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const k = b * T + t;
      if (t === 0) cell.step(h, b * H, xs, k * m, s, k * H);
      else cell.step(s, (k - 1) * H, xs, k * m, s, k * H);
      for (let i = 0; i < H; i++) loss += g[k * H + i] * s[k * H + i];
    }
  }
  return loss;
}

const base: SolveCommandOptions = {
  cell: 'gru',
  weights,
  inputs,
  h0,
  method: 'quasi-deer',
  dtype: 'float64',
  tol: 1e-12,
  backend: 'sequential',
  out: join(dir, 'out.json'),
};

describe('antler solve --grad-out', () => {
  it('writes ∂L/∂weights (PyTorch names, nested), ∂L/∂inputs and ∂L/∂h0 equal to finite differences', async () => {
    const gradOut = join(dir, 'grad.json');
    const { exitCode } = await runSolveCommand({ ...base, gradOut, cotangent });
    expect(exitCode).toBe(0);
    const grad = JSON.parse(readFileSync(gradOut, 'utf8'));
    expect(grad.adjoint).toBe('exact');
    expect(grad.converged).toBe(true);
    expect(Object.keys(grad.weights).sort()).toEqual([
      'bias_hh_l0',
      'bias_ih_l0',
      'weight_hh_l0',
      'weight_ih_l0',
    ]);
    expect(grad.weights.weight_hh_l0).toHaveLength(3 * H);
    expect(grad.weights.weight_hh_l0[0]).toHaveLength(H);
    expect(grad.inputs).toHaveLength(B);
    expect(grad.h0).toHaveLength(B);

    const cell = cellFromWeights('gru', state);
    const xs = Float64Array.from(x);
    const hs = Float64Array.from(h0flat);
    expect(grad.loss).toBeCloseTo(lossOf(cell, xs, hs, gflat), 9);
    const fd = (arr: Float64Array, i: number): number => {
      const v = arr[i];
      arr[i] = v + 1e-6;
      const up = lossOf(cell, xs, hs, gflat);
      arr[i] = v - 1e-6;
      const down = lossOf(cell, xs, hs, gflat);
      arr[i] = v;
      return (up - down) / 2e-6;
    };
    for (const [name, t] of Object.entries(cell.parameters)) {
      const analytic = flatten(grad.weights[name]);
      for (const i of [0, 4, t.data.length - 1]) expect(analytic[i]).toBeCloseTo(fd(t.data, i), 6);
    }
    const gx = flatten(grad.inputs);
    for (const i of [0, 17, x.length - 1]) expect(gx[i]).toBeCloseTo(fd(xs, i), 6);
    const gh = flatten(grad.h0);
    for (let i = 0; i < B * H; i++) expect(gh[i]).toBeCloseTo(fd(hs, i), 6);
  });

  it('defaults the cotangent to all ones and agrees across methods', async () => {
    const deerOut = join(dir, 'grad-deer.json');
    const seqOut = join(dir, 'grad-seq.json');
    await runSolveCommand({ ...base, method: 'deer', gradOut: deerOut });
    await runSolveCommand({ ...base, method: 'sequential', gradOut: seqOut });
    const a = JSON.parse(readFileSync(deerOut, 'utf8'));
    const b = JSON.parse(readFileSync(seqOut, 'utf8'));
    const ones = new Array(B * T * H).fill(1);
    expect(a.loss).toBeCloseTo(
      lossOf(cellFromWeights('gru', state), Float64Array.from(x), Float64Array.from(h0flat), ones),
      9,
    );
    const wa = flatten(a.weights.weight_ih_l0);
    const wb = flatten(b.weights.weight_ih_l0);
    for (let i = 0; i < wa.length; i++) expect(wa[i]).toBeCloseTo(wb[i], 8);
  });

  it('says so when the solve did not converge, and rejects a mis-shaped cotangent with one line', async () => {
    const gradOut = join(dir, 'grad-bad.json');
    const { exitCode } = await runSolveCommand({ ...base, maxIter: 1, gradOut });
    expect(exitCode).toBe(3);
    const grad = JSON.parse(readFileSync(gradOut, 'utf8'));
    expect(grad.converged).toBe(false);
    expect(grad.notes.join(' ')).toMatch(/did NOT converge/);
    const bad = file('bad-g.json', nestArray(gflat.slice(0, T * H), [T, H]));
    await expect(runSolveCommand({ ...base, gradOut, cotangent: bad })).rejects.toThrow(
      /--cotangent .*expected \[B=2\]\[T=25\]\[n=3\]/,
    );
    await expect(runSolveCommand({ ...base, cotangent })).rejects.toThrow(/--cotangent: needs --grad-out/);
  });
});
