/**
 * Every public export of every package must carry a doc comment (typedoc renders them). Runs
 * `node scripts/check-docs.mjs --all`; on failure the assertion message is the list of undocumented
 * exports, one `@antler/<pkg>: <name>` per line, so the report says exactly what to document.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('documentation coverage', () => {
  it('every public export of every package is documented', { timeout: 180_000 }, () => {
    const run = spawnSync(process.execPath, [join(root, 'scripts', 'check-docs.mjs'), '--all'], {
      cwd: root,
      encoding: 'utf8',
    });
    const output = `${run.stdout}${run.stderr}`;
    const undocumented = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^@antler\/[\w-]+: /.test(l));
    // The list first, so a failure names every missing comment; then the exit status (typedoc errors too).
    expect(undocumented).toEqual([]);
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/all documented in every package/);
  });
});
