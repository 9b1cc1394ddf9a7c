/** The ```ts blocks of docs/examples/gradients-and-training.md run and print what their comments say. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

const scratch = mkdtempSync(join(import.meta.dirname, '.examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('docs/examples/gradients-and-training.md: exact quasi-DEER gradient = BPTT, the diagonal one is not', async () => {
  const text = readFileSync(
    join(import.meta.dirname, '../../../docs/examples/gradients-and-training.md'),
    'utf8',
  );
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(1);
  const file = join(scratch, 'gradients.ts');
  writeFileSync(file, blocks[0]);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  });
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  // Each console.log line carries its expected output in a trailing "// → …" comment.
  const expected = [...blocks[0].matchAll(/console\.log\(.*\/\/ → (.*)$/gm)].map((m) => m[1].trim());
  expect(lines).toEqual(expected);
});
