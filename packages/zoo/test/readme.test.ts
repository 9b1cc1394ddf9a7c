/**
 * Runs every ```ts block of the package README through vitest's module loader and checks each
 * `console.log(…); // → text` line's output (util.inspect formatting, whitespace-insensitive).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const scratch = join(here, '.readme-tmp');

describe('README examples', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(4));
  blocks.forEach((code, k) => {
    it(`block ${k + 1} runs and prints what it says`, async () => {
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `block-${k}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      const expected = [...code.matchAll(/console\.log\(.*\);\s*\/\/ → (.*)$/gm)].map((m) => m[1]);
      const printed: string[] = [];
      const original = console.log;
      console.log = (...args: unknown[]) => {
        printed.push(
          args.map((a) => (typeof a === 'string' ? a : inspect(a, { breakLength: Infinity }))).join(' '),
        );
      };
      try {
        await import(/* @vite-ignore */ `${file}?t=${k}`);
      } finally {
        console.log = original;
      }
      const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
      expect(printed.map(norm)).toEqual(expected.map(norm));
    });
  });
});
