import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'antler-solve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, value: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
};

// A PyTorch nn.GRU(input_size=2, hidden_size=3) state dict written out by hand (gate order r, z, n).
const n = 3;
const m = 2;
const vals = (count: number, k: number): number[] =>
  Array.from({ length: count }, (_, i) => 0.4 * Math.sin(1.7 * i + k));
const W_ih = vals(3 * n * m, 1);
const W_hh = vals(3 * n * n, 2);
const b_ih = vals(3 * n, 3);
const b_hh = vals(3 * n, 4);
const weights = file('gru.json', {
  weight_ih_l0: Array.from({ length: 3 * n }, (_, r) => W_ih.slice(r * m, r * m + m)),
  weight_hh_l0: { shape: [3 * n, n], data: W_hh },
  bias_ih_l0: b_ih,
  bias_hh_l0: b_hh,
});

/** PyTorch's GRU equations, written here independently of the zoo. */
function gruSequential(x: number[][], h0: number[]): number[][] {
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  let h = h0;
  const out: number[][] = [];
  for (const xt of x) {
    const gi = (g: number, i: number): number => {
      const row = g * n + i;
      let s = b_ih[row];
      for (let j = 0; j < m; j++) s += W_ih[row * m + j] * xt[j];
      return s;
    };
    const gh = (g: number, i: number): number => {
      const row = g * n + i;
      let s = b_hh[row];
      for (let j = 0; j < n; j++) s += W_hh[row * n + j] * h[j];
      return s;
    };
    const next = h.map((hi, i) => {
      const r = sig(gi(0, i) + gh(0, i));
      const z = sig(gi(1, i) + gh(1, i));
      const c = Math.tanh(gi(2, i) + r * gh(2, i));
      return (1 - z) * c + z * hi;
    });
    out.push(next);
    h = next;
  }
  return out;
}

const T = 40;
const xs = Array.from({ length: T }, (_, t) => [Math.sin(0.3 * t), Math.cos(0.2 * t)]);
const inputs = file('inputs.json', xs);

const run = (args: string[]) => runCli(['solve', ...args]);

afterEach(() => {
  process.exitCode = 0;
});

describe('antler solve', () => {
  it('solves a PyTorch-named GRU over [T][m] inputs: exit 0, states match the GRU equations', async () => {
    const out = join(dir, 'out.json');
    const { code } = await run([
      '--cell',
      'gru',
      '--weights',
      weights,
      '--inputs',
      inputs,
      '--method',
      'deer',
      '--tol',
      '1e-12',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.converged).toBe(true);
    expect(doc.method).toBe('deer');
    expect(doc.dtype).toBe('float64');
    expect(typeof doc.seconds).toBe('number');
    expect(doc.iterations).toBeGreaterThan(0);
    const ref = gruSequential(xs, [0, 0, 0]);
    expect(doc.states).toHaveLength(T);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < n; i++) expect(doc.states[t][i]).toBeCloseTo(ref[t][i], 10);
  });

  it('--acceleration anderson: quasi-DEER converges to the GRU equations', async () => {
    const out = join(dir, 'out-aa.json');
    const { code } = await run([
      '--cell',
      'gru',
      '--weights',
      weights,
      '--inputs',
      inputs,
      '--method',
      'quasi-deer',
      '--acceleration',
      'anderson',
      '--tol',
      '1e-12',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.converged).toBe(true);
    const ref = gruSequential(xs, [0, 0, 0]);
    for (let t = 0; t < T; t++)
      for (let i = 0; i < n; i++) expect(doc.states[t][i]).toBeCloseTo(ref[t][i], 10);
  });

  it('batched [B][T][m] inputs with [B][n] h0, quasi-ELK in float32: [B][T][n] states', async () => {
    const xb = [xs, xs.map(([a, b]) => [b, -a])];
    const h0 = [
      [0.1, 0.2, -0.3],
      [0, 0.5, 0],
    ];
    const out = join(dir, 'outb.json');
    const { code } = await run([
      '--cell',
      'gru',
      '--weights',
      weights,
      '--inputs',
      file('xb.json', xb),
      '--h0',
      file('h0.json', h0),
      '--method',
      'quasi-elk',
      '--dtype',
      'float32',
      '--tol',
      '1e-6',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.dtype).toBe('float32');
    for (let b = 0; b < 2; b++) {
      const ref = gruSequential(xb[b], h0[b]);
      for (let t = 0; t < T; t++)
        for (let i = 0; i < n; i++) expect(Math.abs(doc.states[b][t][i] - ref[t][i])).toBeLessThan(1e-5);
    }
  });

  it('not converged: exit 3 and the states are still written', async () => {
    const out = join(dir, 'out3.json');
    const { code } = await run([
      '--cell',
      'gru',
      '--weights',
      weights,
      '--inputs',
      inputs,
      '--method',
      'jacobi',
      '--max-iter',
      '1',
      '--tol',
      '1e-12',
      '--out',
      out,
    ]);
    expect(code).toBe(3);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.converged).toBe(false);
    expect(doc.states).toHaveLength(T);
    expect(doc.events.some((e: string) => e.startsWith('max-iterations'))).toBe(true);
  });

  const bad: [string, () => string[], RegExp][] = [
    [
      'inputs of the wrong width',
      () => ['--inputs', file('bad-x.json', [[1, 2, 3]])],
      /--inputs .*must be 2 finite numbers/,
    ],
    [
      'inputs that are not JSON',
      () => ['--inputs', file('bad.json', '[1, 2')],
      /--inputs: .* is not valid JSON/,
    ],
    [
      'a missing weights file',
      () => ['--weights', join(dir, 'nope.json')],
      /--weights: cannot read .*ENOENT/,
    ],
    [
      'weights without a required tensor',
      () => ['--weights', file('w.json', { weight_ih_l0: [[1, 2]] })],
      /weight_hh|hh/,
    ],
    ['an unknown method', () => ['--method', 'newton'], /--method: unknown method 'newton'/],
    [
      'an unknown acceleration',
      () => ['--acceleration', 'nesterov'],
      /--acceleration: expected anderson or none, got 'nesterov'/,
    ],
    ['an unknown cell', () => ['--cell', 'transformer'], /--cell: unknown cell 'transformer'/],
    ['an h0 of the wrong size', () => ['--h0', file('h0bad.json', [1, 2])], /--h0 .*expected \[n=3\]/],
  ];
  for (const [name, args, message] of bad) {
    it(`bad input (${name}): exit 2 and one line naming the problem`, async () => {
      const base: Record<string, string> = {
        '--cell': 'gru',
        '--weights': weights,
        '--inputs': inputs,
        '--out': join(dir, 'x.json'),
      };
      const a = args();
      base[a[0]] = a[1];
      const { code, stderr } = await run(Object.entries(base).flat());
      expect(code).toBe(2);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(message);
      expect(stderr[0]).not.toMatch(/\n\s+at /);
    });
  }
});
