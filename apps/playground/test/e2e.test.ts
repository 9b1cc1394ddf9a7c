/**
 * End to end: builds the playground with Vite, serves it with `vite preview` on 127.0.0.1, loads it in
 * headless Chromium and runs solves from the URL parameters. Checks that the page's own residual (which it
 * recomputes from the cell, independently of the solver) reaches the tolerance, that the iterates approach
 * the sequential loop, that both charts have ink on them, and that nothing was logged as an error.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../scripts/playground-chromium.mjs';

const appRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface PageState {
  state: string;
  tolerance: number;
  residuals: number[];
  errors: number[];
  backend: string;
}

describe('playground in headless Chromium', () => {
  let outDir: string;
  let server: PreviewServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let base: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'antler-playground-'));
    await build({ root: appRoot, logLevel: 'error', build: { outDir, emptyOutDir: true } });
    const port = await freePort();
    server = await preview({
      root: appRoot,
      logLevel: 'error',
      build: { outDir },
      preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    });
    base = `http://127.0.0.1:${port}/`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('builds a static site (index.html plus bundled assets, no node: imports left)', () => {
    const files = readdirSync(outDir, { recursive: true }).map(String);
    expect(files).toContain('index.html');
    expect(files.some((f) => f.endsWith('.js'))).toBe(true);
  });

  async function runCase(query: string): Promise<PageState> {
    const { page } = browser;
    await page.goto(`${base}?${query}&delay=0&autorun=1`);
    await page.waitForFunction(
      () => {
        const s = (globalThis as unknown as { antlerPlayground?: PageState }).antlerPlayground?.state;
        return s === 'converged' || s === 'failed';
      },
      undefined,
      { timeout: 40_000 },
    );
    return page.evaluate(() => (globalThis as unknown as { antlerPlayground: PageState }).antlerPlayground);
  }

  async function inkedPixels(id: string): Promise<number> {
    return browser.page.evaluate((canvasId: string) => {
      const c = document.getElementById(canvasId) as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let coloured = 0;
      // Count saturated (non-grey) pixels: the data lines, not the frame or the text.
      for (let i = 0; i < data.length; i += 4) {
        const max = Math.max(data[i], data[i + 1], data[i + 2]);
        const min = Math.min(data[i], data[i + 1], data[i + 2]);
        if (max - min > 60) coloured++;
      }
      return coloured;
    }, id);
  }

  it('DEER on the GRU converges: the plotted residual reaches the tolerance', async () => {
    const state = await runCase('model=gru&method=deer&T=256&backend=cpu');
    expect(state.state).toBe('converged');
    expect(state.backend).toBe('cpu');
    expect(state.residuals.length).toBeGreaterThan(1);
    expect(state.residuals.at(-1)!).toBeLessThanOrEqual(state.tolerance);
    expect(state.residuals[0]).toBeGreaterThan(state.tolerance);
    expect(state.errors.at(-1)!).toBeLessThan(1e-6);
    expect(await inkedPixels('trajectory')).toBeGreaterThan(200);
    expect(await inkedPixels('residual')).toBeGreaterThan(50);
    expect(await inkedPixels('error')).toBeGreaterThan(200);
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it('quasi-ELK with a fixed λ converges on the AR-GRU sampler', async () => {
    const state = await runCase('model=ar-gru&method=quasi-elk&lambda=0.01&backend=cpu');
    expect(state.state).toBe('converged');
    expect(state.residuals.at(-1)!).toBeLessThanOrEqual(state.tolerance);
    expect(state.errors.at(-1)!).toBeLessThan(1e-6);
    expect(browser.errors).toEqual([]);
  }, 60_000);

  it('reports divergence instead of hiding it (DEER on chaotic Lorenz-96, T = 150)', async () => {
    const state = await runCase('model=lorenz96&method=deer&T=150&backend=cpu');
    expect(state.state).toBe('failed');
    expect(await browser.page.textContent('#status')).toMatch(/Diverged/);
    expect(state.residuals.length).toBeLessThan(10);
    expect(browser.errors).toEqual([]);
  }, 60_000);
});
