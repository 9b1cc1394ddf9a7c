import { describe, expect, it } from 'vitest';
import { createSequentialBackend } from '../src/index.js';

describe('sequential backend', () => {
  it('matches the closed form of a scalar geometric recurrence', () => {
    // s_t = 0.5 s_{t-1} + 1 from s_{-1} = 2: s_t = 2 - 0 * ... closed form: s_t = 2 + (2 - 2)·0.5^(t+1) = 2
    // and from 0: s_t = 2 (1 - 0.5^(t+1)).
    const T = 20;
    const a = new Float64Array(T).fill(0.5);
    const b = new Float64Array(T).fill(1);
    const out = new Float64Array(T);
    const rep = createSequentialBackend().affineScan({
      structure: 'diagonal',
      batch: 1,
      length: T,
      size: 1,
      a: { data: a },
      b: { data: b },
      out: { data: out },
    });
    expect(rep).toEqual({ finite: true });
    for (let t = 0; t < T; t++) expect(out[t]).toBeCloseTo(2 * (1 - 0.5 ** (t + 1)), 14);
  });
});
