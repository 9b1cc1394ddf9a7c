#!/usr/bin/env node
// The release check: everything a release needs, in order, stopping at the first failing step.
//   1. build every package (turbo)
//   2. run every test (vitest)
//   3. changesets: at least one pending, each naming known packages with a valid bump, and a dry run of
//      `changeset version` in a scratch copy of the manifests (the checkout is never modified)
//   4. pack every package and import it alone from a scratch project (scripts/pack-check.mjs)
//   5. install each packed package alone (plus the @antler tarballs it depends on) into a scratch project
//      and run the first ```ts block of its README there, types stripped by esbuild, with plain node
// Usage: node scripts/release.mjs [--skip-build] [--skip-tests] [--only <step,...>]
//        steps: build, test, changesets, pack, readme
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : null;
const skipped = new Set([args.includes('--skip-build') && 'build', args.includes('--skip-tests') && 'test']);
const wanted = (step) => (only ? only.has(step) : !skipped.has(step));

function run(cmd, cmdArgs, options = {}) {
  return execFileSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...options });
}

function libraryManifests() {
  return readdirSync(join(root, 'packages'))
    .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
    }));
}

/** Parses `.changeset/*.md` front matter: { file, bumps: { name: 'major' | 'minor' | 'patch' } }. */
export function readChangesets(dir = join(root, '.changeset')) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f.toLowerCase() !== 'readme.md')
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(text);
      if (!m) throw new Error(`.changeset/${file}: no front matter`);
      const bumps = {};
      for (const line of m[1].split(/\r?\n/).filter((l) => l.trim())) {
        const b = /^\s*["']?(@?[\w./-]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
        if (!b)
          throw new Error(
            `.changeset/${file}: cannot read "${line}" (expected "<package>": major|minor|patch)`,
          );
        bumps[b[1]] = b[2];
      }
      if (!m[2].trim()) throw new Error(`.changeset/${file}: empty description`);
      return { file, bumps };
    });
}

function checkChangesets() {
  const names = new Set([
    ...libraryManifests().map((p) => p.manifest.name),
    ...readdirSync(join(root, 'apps'))
      .filter((d) => existsSync(join(root, 'apps', d, 'package.json')))
      .map((d) => JSON.parse(readFileSync(join(root, 'apps', d, 'package.json'), 'utf8')).name),
  ]);
  const sets = readChangesets();
  if (sets.length === 0)
    throw new Error('no pending changesets: add .changeset/<name>.md for the changes to release');
  for (const s of sets) {
    for (const name of Object.keys(s.bumps)) {
      if (!names.has(name)) throw new Error(`.changeset/${s.file}: unknown package ${name}`);
    }
  }
  // Dry run in a scratch copy: the manifests, the workspace file and .changeset/ only.
  const scratch = mkdtempSync(join(tmpdir(), 'antler-changeset-'));
  for (const f of ['package.json', 'pnpm-workspace.yaml']) cpSync(join(root, f), join(scratch, f));
  cpSync(join(root, '.changeset'), join(scratch, '.changeset'), { recursive: true });
  for (const group of ['packages', 'apps']) {
    for (const d of readdirSync(join(root, group))) {
      const src = join(root, group, d, 'package.json');
      if (!existsSync(src)) continue;
      mkdirSync(join(scratch, group, d), { recursive: true });
      cpSync(src, join(scratch, group, d, 'package.json'));
    }
  }
  execFileSync(bin('changeset'), ['version'], { cwd: scratch, stdio: 'pipe' });
  const bumped = [];
  for (const { dir, manifest } of libraryManifests()) {
    const after = JSON.parse(readFileSync(join(scratch, 'packages', dir, 'package.json'), 'utf8'));
    if (after.version !== manifest.version)
      bumped.push(`${manifest.name} ${manifest.version} → ${after.version}`);
  }
  console.log(
    `changesets: ${sets.length} pending; changeset version would release:\n  ${bumped.join('\n  ') || '(nothing)'}`,
  );
}

/** The first ```ts block of a markdown text, or null. */
export function firstTsBlock(markdown) {
  const m = /^```(?:ts|typescript)\s*\n([\s\S]*?)^```\s*$/m.exec(markdown);
  return m ? m[1] : null;
}

/** Runs each package's README example from its packed tarball; `readmeOf(dir)` says where the README is. */
export async function checkReadmes(
  readmeOf = (dir) => join(root, 'packages', dir, 'README.md'),
  only = null,
) {
  const { transform } = await import('esbuild');
  const all = libraryManifests();
  const packages = only ? all.filter((p) => only.includes(p.dir)) : all;
  const work = mkdtempSync(join(tmpdir(), 'antler-readme-'));
  const tarballs = {};
  const manifests = {};
  for (const { dir, manifest } of all) {
    manifests[manifest.name] = manifest;
    const out = execFileSync('pnpm', ['pack', '--pack-destination', work], {
      cwd: join(root, 'packages', dir),
      encoding: 'utf8',
    });
    tarballs[manifest.name] = out.trim().split('\n').pop().trim();
  }
  const closure = (name, seen = new Set()) => {
    seen.add(name);
    for (const dep of Object.keys(manifests[name].dependencies ?? {})) {
      if (dep.startsWith('@antler/') && !seen.has(dep)) closure(dep, seen);
    }
    return seen;
  };
  const failures = [];
  for (const { dir, manifest } of packages) {
    const readme = readmeOf(dir);
    const block = existsSync(readme) ? firstTsBlock(readFileSync(readme, 'utf8')) : null;
    if (!block) {
      failures.push(`${manifest.name}: README.md has no \`\`\`ts example`);
      continue;
    }
    const scratch = join(work, `readme-${dir}`);
    mkdirSync(scratch);
    // The package itself plus the @antler packages its example imports (e.g. a zoo cell in the solvers
    // README), each with its own dependency closure; nothing else from the workspace.
    const imported = [...block.matchAll(/from\s+['"](@antler\/[\w-]+)['"]/g)].map((m) => m[1]);
    const unknown = imported.filter((n) => !manifests[n]);
    if (unknown.length) {
      failures.push(`${manifest.name}: README example imports unknown packages ${unknown.join(', ')}`);
      continue;
    }
    const needed = new Set();
    for (const n of [manifest.name, ...imported]) for (const d of closure(n)) needed.add(d);
    const deps = Object.fromEntries([...needed].map((n) => [n, `file:${tarballs[n]}`]));
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({
        name: `readme-${dir}`,
        private: true,
        type: 'module',
        dependencies: deps,
        overrides: { webgpu: '0.6.2' },
      }),
    );
    const { code } = await transform(block, { loader: 'ts', format: 'esm', target: 'node20' });
    writeFileSync(join(scratch, 'example.mjs'), code);
    try {
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
        cwd: scratch,
        stdio: 'pipe',
      });
      const printed = execFileSync(process.execPath, ['example.mjs'], {
        cwd: scratch,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 120_000,
      });
      const own = closure(manifest.name);
      const extra = [...needed].filter((n) => !own.has(n));
      const first = printed.trim().split('\n')[0];
      console.log(
        `ok   ${manifest.name} README example${extra.length ? ` (with ${extra.join(', ')})` : ''}${first ? `: ${first}` : ''}`,
      );
    } catch (err) {
      failures.push(
        `${manifest.name}: ${(err.stderr?.toString() || err.message).split('\n').slice(0, 8).join('\n    ')}`,
      );
    }
  }
  if (failures.length) throw new Error(`README examples failed:\n  ${failures.join('\n  ')}`);
  console.log(`all ${packages.length} README examples run from their packed tarballs`);
}

const steps = [
  ['build', () => run(bin('turbo'), ['run', 'build', '--output-logs=errors-only'])],
  ['test', () => run(bin('vitest'), ['run'])],
  ['changesets', checkChangesets],
  ['pack', () => run(process.execPath, [join(root, 'scripts', 'pack-check.mjs')])],
  ['readme', () => checkReadmes()],
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [name, step] of steps) {
    if (!wanted(name)) {
      console.log(`── ${name}: skipped`);
      continue;
    }
    console.log(`── ${name}`);
    try {
      await step();
    } catch (err) {
      console.error(`release check failed at step "${name}": ${err.message}`);
      process.exit(1);
    }
  }
  console.log('release check passed');
}
