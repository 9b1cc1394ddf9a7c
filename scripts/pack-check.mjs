#!/usr/bin/env node
// Packs every library package with `pnpm pack` and imports each one from a scratch project that installs
// only its tarball plus the tarballs of the @antler packages it depends on (core at least). Needs `pnpm build`.
// Usage: node scripts/pack-check.mjs [package-dir-name ...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);
const dirs = readdirSync(join(root, 'packages')).filter((d) => !only.length || only.includes(d));
const work = mkdtempSync(join(tmpdir(), 'antler-pack-'));
const tarballs = {};
const manifests = {};

for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  manifests[manifest.name] = manifest;
  const out = execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: pkgDir, encoding: 'utf8' });
  tarballs[manifest.name] = out.trim().split('\n').pop().trim();
}

// The @antler packages a package needs at run time, transitively.
function closure(name, seen = new Set()) {
  seen.add(name);
  for (const dep of Object.keys(manifests[name].dependencies ?? {})) {
    if (dep.startsWith('@antler/') && !seen.has(dep)) closure(dep, seen);
  }
  return seen;
}

let failures = 0;
for (const dir of dirs) {
  const name = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).name;
  const scratch = join(work, `scratch-${dir}`);
  mkdirSync(scratch);
  const deps = Object.fromEntries([...closure(name)].map((n) => [n, `file:${tarballs[n]}`]));
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify(
      {
        name: `scratch-${dir}`,
        private: true,
        type: 'module',
        dependencies: deps,
        overrides: { webgpu: '0.6.2' },
      },
      null,
      2,
    ),
  );
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
      cwd: scratch,
      stdio: 'pipe',
    });
    const code = `const m = await import(${JSON.stringify(name)}); const keys = Object.keys(m); if (!keys.length) throw new Error('no exports'); console.log(${JSON.stringify(name)} + ': ' + keys.length + ' exports, e.g. ' + keys.slice(0, 5).join(', '));`;
    const printed = execFileSync('node', ['--input-type=module', '-e', code], {
      cwd: scratch,
      encoding: 'utf8',
    });
    process.stdout.write(`ok   ${printed}`);
  } catch (err) {
    failures++;
    console.error(
      `FAIL ${name}: ${(err.stderr?.toString() || err.message).split('\n').slice(0, 6).join('\n')}`,
    );
  }
}
console.log(
  failures
    ? `${failures} package(s) failed to install or import alone`
    : `all ${dirs.length} packages install and import alone`,
);
process.exit(failures ? 1 : 0);
