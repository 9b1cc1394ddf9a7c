import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CELL_KINDS, createRandom, encodeSafetensors, randomCell } from '@antler/zoo';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// `antler solve --cell <kind>` end to end for every zoo kind, with weights as a PyTorch-named JSON state
// dict and as a .safetensors file. Reference: the cell's own step applied in a plain loop.
const dir = mkdtempSync(join(tmpdir(), 'antler-solve-kinds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('antler solve --cell <every kind> with JSON and safetensors weights', () => {
  for (const kind of CELL_KINDS) {
    it(`${kind}: both weight formats give the sequential trajectory`, async () => {
      const cell = randomCell(kind, { hiddenSize: kind === 'lorenz96' ? 6 : 4, inputSize: 3, seed: 11 });
      const n = cell.stateSize;
      const m = cell.inputSize;
      const T = kind === 'lorenz96' ? 20 : 30;
      const rng = createRandom(5);
      const xs = Array.from({ length: T }, () => Array.from({ length: m }, () => 0.5 * rng.normal()));

      // Reference: s_t = f(s_{t-1}, x_t) from s_0 = 0 (lorenz96: a point off its fixed point).
      const h0 = Array.from({ length: n }, (_, i) => (kind === 'lorenz96' ? 1 + 0.1 * i : 0));
      let h = Float64Array.from(h0);
      const ref: number[][] = [];
      for (let t = 0; t < T; t++) {
        const next = new Float64Array(n);
        cell.step(h, 0, Float64Array.from(xs[t]), 0, next, 0);
        ref.push(Array.from(next));
        h = next;
      }

      const params = cell.parameters ?? {};
      const json = join(dir, `${kind}.json`);
      writeFileSync(
        json,
        JSON.stringify(
          Object.fromEntries(
            Object.entries(params).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]),
          ),
        ),
      );
      const st = join(dir, `${kind}.safetensors`);
      writeFileSync(st, encodeSafetensors(params));
      const inputs = join(dir, `${kind}-x.json`);
      writeFileSync(inputs, JSON.stringify(xs));
      const h0File = join(dir, `${kind}-h0.json`);
      writeFileSync(h0File, JSON.stringify(h0));

      for (const weights of [json, st]) {
        const out = join(dir, `${kind}-out.json`);
        const { code, stderr } = await runCli([
          'solve',
          '--cell',
          kind,
          '--weights',
          weights,
          '--inputs',
          inputs,
          '--h0',
          h0File,
          '--method',
          'deer',
          '--tol',
          '1e-11',
          ...(kind === 'lorenz96' ? ['--size', String(n)] : []),
          '--out',
          out,
        ]);
        expect(stderr.join('\n')).not.toMatch(/antler:/);
        expect(code).toBe(0);
        const doc = JSON.parse(readFileSync(out, 'utf8'));
        expect(doc.converged).toBe(true);
        let err = 0;
        for (let t = 0; t < T; t++)
          for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(doc.states[t][i] - ref[t][i]));
        expect(err).toBeLessThan(1e-9);
      }
    });
  }
});
