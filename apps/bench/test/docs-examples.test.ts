/**
 * Runs every ```ts block of the guide (docs/guide/*.md) and of the root README through vitest's module
 * loader, so `@antler/*` resolves to the packages' sources exactly as in the other tests.
 *
 * - A line `console.log(x); // → text` is checked: the printed value (util.inspect, one line) must equal
 *   `text` up to whitespace. So examples show their output and the test proves it.
 * - Every block, skipped or not, must also typecheck (strict, the repository's compiler options).
 * - A block opts out of running only with the marker `<!-- docs-test: skip — <reason> -->` on the line(s) just before
 *   its fence; the reason is required (for example "needs a WebGPU device").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const guideDir = join(root, 'docs', 'guide');
// Inside the repository so that module resolution sees the workspace; removed after the run.
const scratch = join(root, 'apps', 'bench', '.docs-examples-tmp');

/** One fenced ```ts block of a markdown file. */
export interface DocBlock {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  /** The reason given by a skip marker, or undefined when the block runs. */
  readonly skip?: string;
}

const SKIP = /<!--\s*docs-test:\s*skip\s*(?:—|-|:)\s*(.+?)\s*-->/;

/** Extracts the ```ts / ```typescript blocks of a markdown text. */
export function extractBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i].trim())) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    let skip: string | undefined;
    for (let j = start - 1; j >= 0 && j >= start - 3; j--) {
      const m = SKIP.exec(lines[j]);
      if (m) skip = m[1];
      if (lines[j].trim() !== '' && !lines[j].includes('docs-test')) break;
    }
    blocks.push({ file, line: start + 1, code: body.join('\n'), skip });
  }
  return blocks;
}

/** Rewrites `console.log(x); // → text` lines into checks of the printed value. */
export function instrument(code: string): { code: string; checks: number } {
  let checks = 0;
  const out = code
    .split('\n')
    .map((line) => {
      const m = /^(\s*)console\.log\((.*)\);\s*\/\/\s*→\s*(.+)$/.exec(line);
      if (!m) return line;
      checks++;
      return `${m[1]}(globalThis as any).__docsCheck(${JSON.stringify(m[3])}, ${m[2]});`;
    })
    .join('\n');
  return { code: out, checks };
}

const squash = (s: string) => s.replace(/\s+/g, '');
const inspectOne = (v: unknown) => inspect(v, { breakLength: Infinity, depth: 6 });

function pages(): string[] {
  return readdirSync(guideDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(guideDir, f));
}

describe('extractBlocks / instrument', () => {
  it('finds ts blocks, honours skip markers with a reason, and rewrites checked console.log lines', () => {
    const md = [
      '# t',
      '```ts',
      'console.log(1 + 1); // → 2',
      '```',
      '<!-- docs-test: skip — needs a GPU -->',
      '```ts',
      'gpu();',
      '```',
      '```sh',
      'ls',
      '```',
    ].join('\n');
    const blocks = extractBlocks('x.md', md);
    expect(blocks.map((b) => [b.line, b.skip])).toEqual([
      [2, undefined],
      [6, 'needs a GPU'],
    ]);
    const { code, checks } = instrument(blocks[0].code);
    expect(checks).toBe(1);
    expect(code).toContain('__docsCheck("2", 1 + 1)');
  });
});

const allBlocks = [...pages(), join(root, 'README.md')].flatMap((file) =>
  extractBlocks(file.slice(root.length + 1), readFileSync(file, 'utf8')),
);

describe('guide examples', () => {
  mkdirSync(scratch, { recursive: true });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the guide has examples', () => {
    expect(allBlocks.filter((b) => b.file.startsWith('docs/guide')).length).toBeGreaterThan(5);
  });

  it('every block typechecks', () => {
    const dir = join(scratch, 'typecheck');
    mkdirSync(dir, { recursive: true });
    for (const [k, b] of allBlocks.entries())
      writeFileSync(join(dir, `block-${k}.ts`), `${b.code}\nexport {};\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../../tsconfig.base.json',
        compilerOptions: { noEmit: true, declaration: false, declarationMap: false },
        include: ['*.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], {
        encoding: 'utf8',
      });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      // Name the page and line instead of the scratch file.
      output = `${err.stdout ?? ''}${err.stderr ?? ''}`.replace(
        /\S*block-(\d+)\.ts\((\d+)/g,
        (_, k, line) => {
          const b = allBlocks[Number(k)];
          return `${b.file}:${b.line + Number(line)}`;
        },
      );
    }
    expect(output).toBe('');
  });

  for (const [k, block] of allBlocks.entries()) {
    const title = `${block.file}:${block.line}`;
    if (block.skip !== undefined) {
      it.skip(`${title} (skipped: ${block.skip})`, () => {});
      continue;
    }
    it(`${title} runs and prints what it says`, async () => {
      const { code, checks } = instrument(block.code);
      const mismatches: string[] = [];
      let seen = 0;
      (globalThis as Record<string, unknown>).__docsCheck = (expected: string, ...values: unknown[]) => {
        seen++;
        // As console.log prints it (strings bare), or with strings quoted as util.inspect shows them.
        const bare = values.map((v) => (typeof v === 'string' ? v : inspectOne(v))).join(' ');
        const quoted = values.map(inspectOne).join(' ');
        if (squash(bare) !== squash(expected) && squash(quoted) !== squash(expected)) {
          mismatches.push(`printed ${bare}, page says ${expected}`);
        }
      };
      const file = join(scratch, `block-${k}.ts`);
      // `export {}` makes every block a module (top-level await, no global name clashes).
      writeFileSync(file, `${code}\nexport {};\n`);
      await import(/* @vite-ignore */ file);
      expect(mismatches).toEqual([]);
      expect(seen).toBe(checks);
    });
  }
});
