/**
 * `antler bench --suite gpu-cells` on Mesa llvmpipe (Dawn's OpenGL backend): every GPU cell kind and
 * method gives a row that converged with a float32-sized error against the float64 `cell.step` loop, and
 * the sequential rows agree with that loop too.
 */
import { createWebGpuBackend } from '@antler/backend-webgpu';
import { describe, expect, it } from 'vitest';
import { gpuCellsSuite } from '../src/suites/gpu-cells.js';
import type { BenchContext } from '../src/suites/types.js';

process.env.EGL_PLATFORM ??= 'surfaceless';
const why = await createWebGpuBackend({ dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' })
  .then((g) => {
    g.dispose();
    return '';
  })
  .catch((e: Error) => `no WebGPU adapter: ${e.message}`);
if (why) console.warn(`gpu-cells suite test skipped: ${why}`);

describe('gpu-cells suite (quick, llvmpipe)', () => {
  it.skipIf(!!why)(
    `a converged row per cell and method, errors float32-sized${why ? ` — skipped: ${why}` : ''}`,
    async () => {
      const ctx: BenchContext = {
        sizes: undefined,
        backend: 'webgpu-opengl',
        quick: true,
        repeats: 1,
        warmup: 0,
        progress: () => {},
        log: () => {},
      };
      const rows = await gpuCellsSuite.run(ctx);
      const solves = rows.filter(
        (r) => String(r.name).endsWith('/webgpu') && r.params.method !== 'sequential',
      );
      // 7 kinds: quasi-DEER each, DEER for the 5 that are not affine in h.
      expect(solves.length).toBe(12);
      for (const r of solves) {
        expect(r.metrics.converged, r.name).toBe(true);
        expect(r.metrics.maxErrVsFloat64 as number, r.name).toBeLessThan(1e-5);
      }
      const para = solves.find((r) => r.name === 'para-lstm/deer/webgpu');
      expect(para?.params.structure).toBe('block2');
      for (const r of rows.filter((q) => q.name.endsWith('/sequential/webgpu')))
        expect(r.metrics.maxErrVsFloat64 as number, r.name).toBeLessThan(1e-5);
    },
  );
});
