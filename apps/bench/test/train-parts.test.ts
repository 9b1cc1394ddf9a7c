import { describe, expect, it } from 'vitest';
import { renderLossPlot } from '../src/train/loss-plot.js';
import { createSineTask } from '../src/train/sine-task.js';

describe('createSineTask', () => {
  it('is deterministic per seed, balanced, and has the requested periods', () => {
    const a = createSineTask({ count: 8, length: 400, seed: 3, noise: 0 });
    const b = createSineTask({ count: 8, length: 400, seed: 3, noise: 0 });
    const c = createSineTask({ count: 8, length: 400, seed: 4, noise: 0 });
    expect(a.inputs).toEqual(b.inputs);
    expect(a.inputs).not.toEqual(c.inputs);
    expect(Array.from(a.labels)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    // Noise-free rows are exact sines: x_{t+P} = x_t for the class period P.
    for (let i = 0; i < 8; i++) {
      const P = a.periods[a.labels[i]];
      for (let t = 0; t + P < 400; t += 37)
        expect(a.inputs[i * 400 + t + P]).toBeCloseTo(a.inputs[i * 400 + t], 10);
    }
  });

  it('adds Gaussian noise of the requested standard deviation', () => {
    const clean = createSineTask({ count: 4, length: 5000, seed: 5, noise: 0 });
    const noisy = createSineTask({ count: 4, length: 5000, seed: 5, noise: 0.5 });
    // Same seed ⇒ different phases (the noise draws interleave), so compare variances instead of values.
    const variance = (x: Float64Array) => {
      const m = x.reduce((s, v) => s + v, 0) / x.length;
      return x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length;
    };
    expect(variance(clean.inputs)).toBeCloseTo(0.5, 1);
    expect(variance(noisy.inputs)).toBeCloseTo(0.5 + 0.25, 1);
  });
});

describe('renderLossPlot', () => {
  it('draws one polyline per series with one point per finite value, and a legend entry each', () => {
    const svg = renderLossPlot('title <&>', [
      { label: 'deer', values: [1.4, 1.2, 0.9, 0.5], color: '#00f' },
      { label: 'sequential', values: [1.4, 1.2, Number.NaN, 0.5], color: '#0f0', dash: '2 4' },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('title &lt;&amp;&gt;');
    const polylines = [...svg.matchAll(/<polyline[^>]*points="([^"]*)"/g)].map((m) => m[1].split(' ').length);
    expect(polylines).toEqual([4, 3]);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).toContain('>deer</text>');
    expect(svg).toContain('stroke-dasharray="2 4"');
  });
});
