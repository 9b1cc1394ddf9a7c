import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/index.js';

describe('createRandom', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = createRandom(7).fillUniform(new Float64Array(16));
    const b = createRandom(7).fillUniform(new Float64Array(16));
    const c = createRandom(8).fillUniform(new Float64Array(16));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('matches mulberry32 written out independently here', () => {
    // Reference: the published mulberry32 recurrence, step by step.
    let s = 123 >>> 0;
    const next = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const r = createRandom(123);
    for (let i = 0; i < 100; i++) expect(r.uniform()).toBe(next());
  });

  it('has the moments of U(0,1), N(0,1) and the range of integer(n)', () => {
    const r = createRandom(1);
    const N = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    const counts = new Int32Array(5);
    for (let i = 0; i < N; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      counts[r.integer(5)]++;
    }
    // 5σ bounds: σ(mean of U) = 0.289/√N, σ(mean of N) = 1/√N, σ(mean of z²) = √2/√N.
    expect(Math.abs(su / N - 0.5)).toBeLessThan((5 * 0.289) / Math.sqrt(N));
    expect(Math.abs(sn / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(sn2 / N - 1)).toBeLessThan((5 * Math.SQRT2) / Math.sqrt(N));
    for (const c of counts) expect(Math.abs(c / N - 0.2)).toBeLessThan(5 * Math.sqrt(0.16 / N));
    const u = r.fillUniform(new Float32Array(1000), -2, 3);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
  });
});
