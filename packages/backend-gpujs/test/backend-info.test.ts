/** What the backend says about itself (mode, fallback, executor) and the batch-splitting path. */
import { BackendUnavailableError, DTypeError, ShapeError } from '@antler/core';
import { describe, expect, it } from 'vitest';
import { CPU_MODES, createGpuJsBackend } from '../src/index.js';
import { probes } from './modes.js';

const running = probes.filter((p) => p.ran);

describe('gpu.js backend reports what ran', () => {
  it('refuses unknown and unavailable modes with BackendUnavailableError naming the reason', async () => {
    await expect(createGpuJsBackend({ mode: 'nope' as never })).rejects.toThrow(BackendUnavailableError);
    await expect(createGpuJsBackend({ mode: 'webgl2' })).rejects.toThrow(/no WebGL context/);
    await expect(createGpuJsBackend({ mode: 'cpu', algorithm: 'fast' as never })).rejects.toThrow(
      /^algorithm: /,
    );
    await expect(createGpuJsBackend({ mode: 'cpu', chunkLength: 0 })).rejects.toThrow(/chunkLength/);
    for (const p of probes.filter((q) => !q.ran)) {
      await expect(createGpuJsBackend({ mode: p.mode })).rejects.toThrow(BackendUnavailableError);
    }
  });

  it("detects gpu.js's silent substitution in mode 'gpu'", async () => {
    const backend = await createGpuJsBackend({ mode: 'gpu' });
    try {
      expect(backend.mode).toBe('gpu');
      // 'gpu' is not a kernel class: whatever ran is named, and a CPU one is flagged.
      expect(backend.ranOn).not.toBe('gpu');
      expect(backend.fallbackReason).toContain(`ran its kernels on '${backend.ranOn}'`);
      expect(backend.onCpu).toBe(CPU_MODES.includes(backend.ranOn));
    } finally {
      await backend.dispose();
    }
  });

  it("mode 'async' reports the class gpu.js upgraded to, and scans there", async () => {
    const backend = await createGpuJsBackend({ mode: 'async' });
    try {
      const webgpu = probes.find((p) => p.mode === 'webgpu');
      // With a WebGPU adapter gpu.js upgrades to it; otherwise it stays on its synchronous choice.
      if (webgpu?.ran) expect(backend.ranOn).toBe('webgpu');
      expect(backend.fallbackReason === null).toBe(!CPU_MODES.includes(backend.ranOn));
      const out = new Float32Array(3);
      await backend.affineScan({
        structure: 'diagonal',
        batch: 1,
        length: 3,
        size: 1,
        a: { data: new Float32Array([0.5, 0.5, 0.5]) },
        b: { data: new Float32Array([1, 1, 1]) },
        out: { data: out },
      });
      expect(Array.from(out)).toEqual([1, 1.5, 1.75]);
      // gpu.js 2.24.1 upgrades direct kernel calls to webgpu in 'async' mode but runs createPipeline
      // plans on the synchronous class it proved (webasm here): the backend must say so, not hide it.
      if (backend.ranOn === 'webgpu')
        expect(backend.fallbackReason).toMatch(
          /ran the last scan's kernels on '(webasm|cpu|headlessgl)', not 'webgpu'/,
        );
    } finally {
      await backend.dispose();
    }
  });

  for (const p of running) {
    it(`${p.mode}: executorKind after a scan, no float64, name says where it ran`, async () => {
      const backend = await createGpuJsBackend({ mode: p.mode });
      try {
        expect(backend.name).toBe(`gpujs-${p.ranOn}`);
        expect(backend.capabilities.float64).toBeUndefined();
        expect(backend.executorKind).toBeNull();
        const out = new Float32Array(4);
        await backend.affineScan({
          structure: 'diagonal',
          batch: 1,
          length: 4,
          size: 1,
          a: { data: new Float32Array([0.5, 0.5, 0.5, 0.5]) },
          b: { data: new Float32Array([1, 1, 1, 1]) },
          out: { data: out },
        });
        expect(Array.from(out)).toEqual([1, 1.5, 1.75, 1.875]);
        const expected = { webgpu: 'fused-encoder', webasm: 'fused-sync', cpu: 'generic' } as Record<
          string,
          string
        >;
        if (expected[p.mode]) expect(backend.executorKind).toBe(expected[p.mode]);
        if (p.mode === 'webgpu') expect(backend.fallbackReason).toBeNull();
        await expect(
          Promise.resolve().then(() =>
            backend.affineScan({
              structure: 'diagonal',
              batch: 1,
              length: 2,
              size: 1,
              a: { data: new Float64Array(2) },
              b: { data: new Float64Array(2) },
              out: { data: new Float64Array(2) },
            }),
          ),
        ).rejects.toThrow(DTypeError);
      } finally {
        await backend.dispose();
      }
    });
  }

  it.runIf(running.length > 0)(
    'splits large batches over several pipelines with the same result',
    async () => {
      const mode = running[0].mode;
      const backend = await createGpuJsBackend({ mode, maxPackedElements: 100, cacheSize: 1 });
      try {
        const B = 3;
        const T = 20;
        const n = 5;
        const a = new Float32Array(B * T * n).map((_, k) => 0.9 * Math.sin(k));
        const b = new Float32Array(B * T * n).map((_, k) => Math.cos(0.5 * k));
        const s0 = new Float32Array(B * n).map((_, k) => k / 7);
        const out = new Float32Array(B * T * n);
        const report = await backend.affineScan({
          structure: 'diagonal',
          batch: B,
          length: T,
          size: n,
          a: { data: a },
          b: { data: b },
          s0: { data: s0 },
          out: { data: out },
          reverse: true,
        });
        expect(report.finite).toBe(true);
        // Independent reverse loop in float64: s_t = a_t s_{t+1} + b_t, s_T = s0.
        let err = 0;
        for (let kb = 0; kb < B; kb++)
          for (let i = 0; i < n; i++) {
            let s = s0[kb * n + i];
            for (let t = T - 1; t >= 0; t--) {
              const j = (kb * T + t) * n + i;
              s = a[j] * s + b[j];
              err = Math.max(err, Math.abs(out[j] - s));
            }
          }
        expect(err).toBeLessThan(1e-5);
        // One dense sequence that cannot fit is refused, naming the length.
        await expect(
          backend.affineScan({
            structure: 'dense',
            batch: 1,
            length: T,
            size: 3,
            a: { data: new Float32Array(T * 9) },
            b: { data: new Float32Array(T * 3) },
            out: { data: new Float32Array(T * 3) },
          }),
        ).rejects.toThrow(ShapeError);
      } finally {
        await backend.dispose();
      }
    },
  );
});
