import { describe, expect, it } from 'vitest';
import { demoRows, renderDemoTable, runDemo } from '../src/commands/demo.js';

describe('antler demo', () => {
  const options = {
    hidden: 4,
    length: 200,
    batch: 2,
    dtype: 'float64',
    methods: 'all',
    backend: 'cpu',
    seed: 3,
    jacobiMaxIter: 500,
  };

  it('runs every method against the sequential reference and reports honest errors', async () => {
    const lines = await runDemo(options, () => {});
    expect(lines.map((l) => l.method)).toEqual([
      'sequential',
      'deer',
      'quasi-deer',
      'elk',
      'quasi-elk',
      'jacobi',
    ]);
    for (const l of lines) {
      expect(l.converged).toBe(true);
      // Converged to the default float64 tolerance (atol 1e-6 + rtol 1e-4·|s|, |s| < 1 for a GRU).
      expect(l.maxError).toBeLessThan(1e-4);
      expect(l.speedup).toBeGreaterThan(0);
    }
    // DEER converges quadratically: far fewer iterations than the linear fixed-point iteration.
    const it = Object.fromEntries(lines.map((l) => [l.method, l.iterations]));
    expect(it.deer).toBeLessThan(it.jacobi);
    const table = renderDemoTable(lines);
    expect(table).toMatch(/^method\s+time\s+iterations/);
    expect(table.split('\n')).toHaveLength(2 + lines.length);
    const rows = demoRows(options, lines);
    expect(rows[1].series?.maxResidual?.length).toBe(lines[1].iterations);
  });

  it('rejects unknown methods, dtypes and backends with a one-line message', async () => {
    await expect(runDemo({ ...options, methods: 'deer,newton' }, () => {})).rejects.toThrow(
      /--methods: unknown method 'newton'/,
    );
    await expect(runDemo({ ...options, dtype: 'float16' }, () => {})).rejects.toThrow(/--dtype/);
    await expect(runDemo({ ...options, backend: 'tpu' }, () => {})).rejects.toThrow(/--backend/);
  });
});
