/**
 * Runs the ```ts examples of this package's README. A line `console.log(…); // → text` is checked: the
 * printed arguments (util.inspect, joined by spaces) must equal `text` up to whitespace.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { probes } from './modes.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = join(pkg, 'test', '.readme-tmp');
const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const webgpu = probes.find((p) => p.mode === 'webgpu');

const squash = (s: string) => s.replace(/\s+/g, '');

describe('README examples', () => {
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(2));
  blocks.forEach((code, k) => {
    it.runIf(webgpu?.ran)(`example ${k + 1} runs and prints what it says`, async () => {
      const checks: [string, string][] = [];
      (globalThis as { __readmeCheck?: unknown }).__readmeCheck = (expected: string, ...values: unknown[]) =>
        checks.push([expected, values.map((v) => inspect(v)).join(' ')]);
      let count = 0;
      const instrumented = code
        .split('\n')
        .map((line) => {
          const m = /^(\s*)console\.log\((.*)\);\s*\/\/\s*→\s*(.+)$/.exec(line);
          if (!m) return line;
          count++;
          return `${m[1]}(globalThis as any).__readmeCheck(${JSON.stringify(m[3])}, ${m[2]});`;
        })
        .join('\n');
      mkdirSync(scratch, { recursive: true });
      const file = join(scratch, `example-${k + 1}.ts`);
      writeFileSync(file, `${instrumented}\nexport {};\n`);
      await import(/* @vite-ignore */ file);
      expect(checks.length).toBe(count);
      expect(count).toBeGreaterThan(0);
      for (const [expected, printed] of checks) expect(squash(printed)).toBe(squash(expected));
    });
  });
  if (!webgpu?.ran) it.skip(`examples use mode 'webgpu', unavailable here: ${webgpu?.reason}`, () => {});
});
