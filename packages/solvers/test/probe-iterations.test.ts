/**
 * Measurement, not a test: iteration counts behind the README and the method guide. Skipped unless
 * ANTLER_PROBE is set: `ANTLER_PROBE=1 npx vitest run --project solvers test/probe-iterations`.
 */
import type { Cell, SolveOptions } from '@antler/core';
import { it } from 'vitest';
import { type AccelerationOptions, solveSync } from '../src/index.js';
import { elmanCell, gruCell, rng, uniform } from './gradient-fixtures.js';
import { caseBInputs, maxAbsDiff, sequentialReference, unstableTanhCell } from './solve-fixtures.js';

/** Elman cell with W_hh rescaled to spectral radius `rho` (power iteration). */
function unstableElman(n: number, seed: number, rho: number): Cell {
  const cell = elmanCell(n, 3, seed, 0.6);
  const W = cell.parameters?.weight_hh_l0.data as Float64Array;
  let v = new Float64Array(n).fill(1);
  let radius = 0;
  for (let it = 0; it < 300; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i] += W[i * n + j] * v[j];
    radius = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / v.reduce((s, x) => s + x * x, 0));
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    v = w.map((x) => x / norm);
  }
  for (let i = 0; i < n * n; i++) W[i] *= rho / radius;
  return cell;
}

function row(cell: Cell, x: Float64Array, ref: Float64Array, options: SolveOptions): string {
  let peak = 0;
  const f32 = options.dtype === 'float32';
  const r = solveSync(cell, f32 ? new Float32Array(x) : x, {
    atol: f32 ? 1e-5 : 1e-10,
    rtol: 0,
    maxIter: 400,
    ...options,
    onProgress: (info) => {
      peak = Math.max(peak, info.maxStep);
    },
  });
  const err = maxAbsDiff(r.states, ref).toExponential(1);
  return `${r.converged ? 'yes' : 'NO '} ${String(r.iterations).padStart(3)} it, err ${err}, peak step ${peak.toExponential(0)}`;
}

it.skipIf(!process.env.ANTLER_PROBE)(
  'unstable Elman n=6, T=200, radius 2.5 (seeds 1–4) and golden case B',
  () => {
    const methods: [string, SolveOptions][] = [
      ['deer', { method: 'deer' }],
      ['elk (smoother)', { method: 'elk' }],
      ['elk (filter)', { method: 'elk', elk: { variant: 'filter' } }],
      ['quasi-elk', { method: 'quasi-elk' }],
      ['quasi-deer', { method: 'quasi-deer' }],
      ['deer f32', { method: 'deer', dtype: 'float32' }],
      ['elk f32', { method: 'elk', dtype: 'float32' }],
      ['quasi-elk f32', { method: 'quasi-elk', dtype: 'float32' }],
    ];
    const lines: string[] = [];
    for (const [name, options] of methods) {
      const cells: string[] = [];
      for (const seed of [1, 2, 3, 4]) {
        const cell = unstableElman(6, seed, 2.5);
        const x = uniform(200 * 3, 1, rng(100 + seed));
        cells.push(row(cell, x, sequentialReference(cell, x, 1, 200), options));
      }
      const b = unstableTanhCell();
      const h0 = new Float64Array([0.5, -0.3, 0.1]);
      const u = caseBInputs();
      cells.push(`B: ${row(b, u, sequentialReference(b, u, 1, 32, h0), { ...options, h0 })}`);
      lines.push(`${name.padEnd(15)} | ${cells.join(' | ')}`);
    }
    console.log(lines.join('\n'));
  },
);

it.skipIf(!process.env.ANTLER_PROBE)(
  'quasi-DEER on PyTorch-initialised cells, with and without Anderson',
  () => {
    const init = (n: number): number => 1 / Math.sqrt(n);
    const lines: string[] = [];
    for (const [name, cell, n, m, T, B] of [
      ['elman n=8, T=150, B=3', elmanCell(8, 3, 11, init(8)), 8, 3, 150, 3],
      ['gru n=8, T=150, B=3', gruCell(8, 3, 12, init(8)), 8, 3, 150, 3],
      ['gru n=16, T=300, B=3', gruCell(16, 4, 13, init(16)), 16, 4, 300, 3],
      ['elman n=16, T=2000, B=4', elmanCell(16, 4, 32, init(16)), 16, 4, 2000, 4],
      ['gru n=32, T=2000, B=1', gruCell(32, 8, 31, init(32)), 32, 8, 2000, 1],
    ] as const) {
      const x = uniform(B * T * m, 1, rng(7 + n));
      const h0 = uniform(B * n, 0.5, rng(3));
      const ref = sequentialReference(cell, x, B, T, h0);
      const parts: string[] = [];
      for (const acceleration of ['none', 'anderson'] as const) {
        const options = { method: 'quasi-deer', batch: B, h0, acceleration } as SolveOptions &
          AccelerationOptions;
        const t0 = performance.now();
        const r = solveSync(cell, x, options);
        const ms = performance.now() - t0;
        parts.push(
          `${acceleration}: ${r.iterations} it (${r.iterationsPerSequence.join(',')}), err ${maxAbsDiff(r.states, ref).toExponential(1)}, ${ms.toFixed(0)} ms`,
        );
      }
      // The observed linear rate of plain quasi-DEER: geometric mean of the step ratios after iteration 3.
      const plain = solveSync(cell, x, { method: 'quasi-deer', batch: B, h0, atol: 1e-12, rtol: 0 });
      const steps = plain.history.map((h) => h.maxStep).filter((s) => s > 0);
      const tail = steps.slice(3, Math.max(4, steps.length - 3));
      const rate = (tail.at(-1) as number) / tail[0];
      parts.push(`rate ${(rate ** (1 / (tail.length - 1))).toFixed(2)}`);
      lines.push(`${name.padEnd(24)} | ${parts.join(' | ')}`);
    }
    console.log(lines.join('\n'));
  },
);
