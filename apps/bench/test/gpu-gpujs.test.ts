/**
 * `antler bench --suite gpu --backend gpujs…`: the GRU table on gpu.js runs here (webgpu on Mesa
 * llvmpipe when Dawn's OpenGL backend answers, else gpu.js's cpu mode), its errors against the float64
 * loop are float32-sized, infeasible sizes become rows with the reason, and the float64 loop the suite
 * uses as its reference agrees with the zoo's GRU cell (an independent implementation).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packGru } from '@antler/backend-webgpu';
import { probeGpuJsModes } from '@antler/backend-gpujs';
import { createGru } from '@antler/zoo';
import { describe, expect, it } from 'vitest';
import { gpuSuite, gruSequential64, normals } from '../src/suites/gpu.js';
import { gpuJsTarget } from '../src/suites/gpu-gpujs.js';
import type { BenchContext } from '../src/suites/types.js';
import { runCli } from './run-cli.js';

const [webgpu] = await probeGpuJsModes(['webgpu']);
const backend = webgpu.ran ? 'gpujs-opengl' : 'gpujs-cpu';
const ctx = (sizes: string): BenchContext => ({
  sizes,
  backend,
  quick: false,
  repeats: 1,
  warmup: 0,
  progress: () => {},
  log: () => {},
});

describe(`gpu suite on gpu.js (${backend})`, () => {
  it('the float64 reference loop equals the zoo flax GRU stepped in float64', () => {
    const n = 3;
    const T = 25;
    const cell = createGru({ hiddenSize: n, inputSize: n, seed: 0, variant: 'flax' });
    const w = packGru(cell);
    if (!w) throw new Error('flax GRU not packed');
    const x = normals(2 * T * n, 7);
    const got = gruSequential64(w, x, T, 1, T);
    const h = new Float64Array(n);
    const out = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      cell.step(h, 0, Float64Array.from(x.subarray((T + t) * n, (T + t + 1) * n)), 0, out, 0);
      h.set(out);
      // The suite packs the weights to float32, so agreement is to float32 weight rounding.
      for (let i = 0; i < n; i++) expect(Math.abs(got[t * n + i] - out[i])).toBeLessThan(1e-5);
    }
  });

  it('quasi-DEER and DEER rows at both tolerances: converged, float32-sized error, executor named', async () => {
    const rows = await gpuSuite.run(ctx('n=4;T=300;B=3'));
    const solves = rows.filter((r) => r.name.endsWith('/gpujs'));
    expect(solves.map((r) => [r.params.method, r.params.atol])).toEqual([
      ['quasi-deer', 1e-4],
      ['quasi-deer', 1e-6],
      ['deer', 1e-4],
      ['deer', 1e-6],
    ]);
    for (const r of solves) {
      expect(r.metrics.converged).toBe(true);
      expect(r.metrics.errorSteps).toBe(300);
      // Residual tolerance atol + rtol|s| with |s| < 1: the error is that order or float32 rounding.
      expect(r.metrics.maxErrVsFloat64 as number).toBeLessThan(r.params.atol === 1e-4 ? 2e-3 : 5e-5);
      expect(r.metrics.iterationsMax as number).toBeGreaterThan(0);
      expect(typeof r.metrics.executorKind).toBe('string');
      expect(r.metrics.ranOn).toBe(webgpu.ran ? 'webgpu' : 'cpu');
      expect(r.timing?.repeats).toBe(1);
      expect(r.params.B).toBe(3);
    }
    const seq = rows.find((r) => r.name === 'gru/sequential/node-float64');
    // Timed on member 0 only, scaled to the batch.
    expect(seq?.metrics.extrapolationFactor).toBe(3);
  });

  it('sizes gpu.js cannot run are rows with the reason, not silent gaps', async () => {
    const rows = await gpuSuite.run(ctx('n=8;T=300000;B=1;m=quasi-deer,deer;tol=default;seq=0'));
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.timing).toBeUndefined();
      expect(r.metrics.skipped).toMatch(/skipped: .*(floats per kernel|per-kernel limit)/);
    }
    const [deer32] = await gpuSuite.run(ctx('n=32;T=50;B=1;m=deer;tol=default;seq=0'));
    expect(deer32.metrics.skipped).toMatch(/n ≤ 16/);
  });

  it('unknown gpu.js backend names are refused with the list', () => {
    expect(() => gpuJsTarget('gpujs-metal')).toThrow(/gpujs, gpujs-opengl, gpujs-webasm or gpujs-cpu/);
    expect(gpuJsTarget('gpujs').webgpu?.powerPreference).toBe('high-performance');
  });

  it('antler bench --suite gpu --backend gpujs-cpu --json writes the rows', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'antler-gpujs-')), 'gpu.json');
    const { code } = await runCli([
      'bench',
      '--suite',
      'gpu',
      '--backend',
      'gpujs-cpu',
      '--sizes',
      'n=2;T=20;B=2;m=quasi-deer;tol=default',
      '--repeats',
      '1',
      '--warmup',
      '1',
      '--json',
      file,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      rows: { name: string; params: Record<string, unknown>; metrics: Record<string, unknown> }[];
    };
    expect(doc.rows.map((r) => r.name)).toEqual(['gru/quasi-deer/gpujs', 'gru/sequential/node-float64']);
    expect(doc.rows[0].params.adapter).toBe('CPU (gpu.js cpu)');
    expect(doc.rows[0].metrics.maxErrVsFloat64 as number).toBeLessThan(2e-3);
  });
});
