import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { testBackend } from './gpu.js';

const backend = await testBackend();
const why = typeof backend === 'string' ? backend : '';

it.skipIf(!!why)(
  `README example runs and prints what it says${why ? ` — skipped: ${why}` : ''}`,
  async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!code) throw new Error('no ts block in README');
    const file = join(mkdtempSync(join(tmpdir(), 'antler-webgpu-readme-')), 'example.ts');
    writeFileSync(file, code);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' '));
    });
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      spy.mockRestore();
    }
    expect(lines[1]).toBe('[1,1.5,1.75,1.875]');
    expect(lines[2]).toMatch(/^true \d+ /);
  },
);
