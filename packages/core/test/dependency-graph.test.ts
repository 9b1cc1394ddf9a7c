import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package dependency graph is part of the architecture: core depends on nothing, scan/jacobian/zoo
// and the backends on core only, solvers on core + scan + jacobian, and only apps know everything.
const root = join(import.meta.dirname, '..', '..', '..');
const allowed: Record<string, string[]> = {
  core: [],
  scan: ['core'],
  jacobian: ['core'],
  zoo: ['core'],
  solvers: ['core', 'scan', 'jacobian'],
  'backend-webgpu': ['core'],
  'backend-gpujs': ['core'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|js|mjs)$/.test(f) ? [p] : [];
  });
}

describe('dependency graph', () => {
  it('lists every package under packages/', () => {
    expect(readdirSync(join(root, 'packages')).sort()).toEqual(Object.keys(allowed).sort());
  });

  for (const [pkg, deps] of Object.entries(allowed)) {
    it(`@antler/${pkg} imports only ${deps.length ? deps.join(', ') : 'nothing from the workspace'}`, () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(join(root, 'packages', pkg, 'src'))) {
        // Doc comments show imports in examples; only code counts.
        const text = readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, '');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]@antler\/([a-z0-9-]+)/g)) {
          if (!deps.includes(m[1])) offenders.push(`${file.slice(root.length)} imports @antler/${m[1]}`);
        }
        if (/from\s+['"]\.\.\/\.\.\//.test(text))
          offenders.push(`${file.slice(root.length)} reaches outside its package`);
      }
      expect(offenders).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
      const declared = Object.keys(manifest.dependencies ?? {})
        .filter((d) => d.startsWith('@antler/'))
        .map((d) => d.slice(8));
      expect(declared.filter((d) => !deps.includes(d))).toEqual([]);
    });
  }
});
