import { describe, expect, it } from 'vitest';
import { solversSuite } from '../src/suites/solvers.js';

describe('bench suite "solvers" (quick)', () => {
  it('reports iterations, per-iteration cost vs a sequential pass of the same run, and the error vs sequential', async () => {
    const logs: string[] = [];
    const rows = await solversSuite.run({
      quick: true,
      repeats: 1,
      warmup: 0,
      progress: () => {},
      log: (m) => logs.push(m),
    });
    expect(rows.map((r) => r.params.method)).toEqual(['jacobi', 'deer', 'quasi-deer', 'elk', 'quasi-elk']);
    for (const r of rows) {
      expect(r.suite).toBe('solvers');
      expect(r.metrics.converged).toBe(true);
      expect(r.metrics.iterations as number).toBeGreaterThan(0);
      expect(r.metrics.iterationCostVsSequential as number).toBeGreaterThan(0);
      expect(Number.isFinite(r.metrics.iterationCostVsSequential as number)).toBe(true);
      // Default float64 tolerances: atol 1e-6, rtol 1e-4 on the residual.
      expect(r.metrics.maxError as number).toBeLessThan(1e-3);
      expect(r.series?.maxResidual).toHaveLength(r.metrics.iterations as number);
    }
  });

  it('parses --sizes and rejects unknown keys or methods', async () => {
    const ctx = { quick: true, repeats: 1, warmup: 0, progress: () => {}, log: () => {} };
    const rows = await solversSuite.run({
      ...ctx,
      sizes: 'n=2;T=50;B=1;method=sequential,deer;dtype=float32',
    });
    expect(rows.map((r) => [r.params.method, r.params.dtype, r.params.n])).toEqual([
      ['sequential', 'float32', 2],
      ['deer', 'float32', 2],
    ]);
    await expect(solversSuite.run({ ...ctx, sizes: 'x=1' })).rejects.toThrow(/unknown key 'x'/);
    await expect(solversSuite.run({ ...ctx, sizes: 'method=newton' })).rejects.toThrow(
      /unknown method 'newton'/,
    );
  });
});
