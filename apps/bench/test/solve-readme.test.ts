import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

/** Runs every ```ts block of a README (as a module in a scratch folder) and returns what it logged. */
async function runReadme(path: string): Promise<string[][]> {
  const text = readFileSync(path, 'utf8');
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  const outputs: string[][] = [];
  for (const [i, code] of blocks.entries()) {
    const file = join(scratch, `readme-${i}-${Math.random().toString(36).slice(2)}.ts`);
    writeFileSync(file, code);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.map(String).join(' '));
    });
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      spy.mockRestore();
    }
    outputs.push(lines);
  }
  return outputs;
}

const scratch = mkdtempSync(join(import.meta.dirname, '.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README examples run and print what they say', () => {
  it('@antler/solvers README', async () => {
    const [out] = await runReadme(join(import.meta.dirname, '../../../packages/solvers/README.md'));
    expect(out[0]).toMatch(/^true \d+$/);
    expect(Number(out[0].split(' ')[1])).toBeLessThanOrEqual(8);
    expect(out[1]).toBe('true');
  });

  it('@antler/jacobian README', async () => {
    const [out] = await runReadme(join(import.meta.dirname, '../../../packages/jacobian/README.md'));
    expect(out).toEqual(['true', 'analytic', 'true']);
  });
});
