#!/usr/bin/env node
// Fails when a public export of a strict package has no doc comment. Reads typedoc's JSON model.
// Usage: node scripts/check-docs.mjs [--all]   (default: strict for @antler/core only; --all: every package)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const strictAll = process.argv.includes('--all');
const strict = new Set(['@antler/core']);
const out = join(mkdtempSync(join(tmpdir(), 'antler-docs-')), 'api.json');
execFileSync(
  join(process.cwd(), 'node_modules', '.bin', 'typedoc'),
  ['--json', out, '--out', join(tmpdir(), 'antler-docs-unused'), '--logLevel', 'Error'],
  { stdio: 'inherit' },
);
const project = JSON.parse(readFileSync(out, 'utf8'));

// Kinds (typedoc ReflectionKind): 4 namespace... we check top-level exports of each package module.
const hasComment = (r) =>
  !!(r.comment?.summary?.length || r.comment?.blockTags?.length) ||
  (r.signatures ?? []).some((s) => s.comment?.summary?.length) ||
  (r.getSignature?.comment?.summary?.length ?? 0) > 0;

const problems = [];
let checked = 0;
for (const pkg of project.children ?? []) {
  const modules = (pkg.children ?? []).some((c) => c.kind === 2)
    ? pkg.children.filter((c) => c.kind === 2)
    : [pkg];
  for (const mod of modules) {
    for (const r of mod.children ?? []) {
      checked++;
      if (!hasComment(r) && (strictAll || strict.has(pkg.name))) problems.push(`${pkg.name}: ${r.name}`);
    }
  }
}
if (problems.length) {
  console.error(`undocumented public exports (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `docs: ${checked} public exports checked, all documented in ${strictAll ? 'every package' : [...strict].join(', ')}`,
);
