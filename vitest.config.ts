import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources, so `pnpm test` needs no build.
const root = fileURLToPath(new URL('.', import.meta.url));
const projectDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(`${root}${group}`, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(`${root}${group}/${d.name}/test`))
    .map((d) => `${group}/${d.name}`),
);

export default defineConfig({
  resolve: {
    alias: [{ find: /^@antler\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` }],
  },
  test: {
    // The JSON report is what .ci/run counts ("N passed, N failed"); the default reporter is for people.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    projects: projectDirs.map((dir) => ({
      extends: true,
      test: {
        name: dir.split('/')[1],
        root: `${root}${dir}`,
        include: ['test/**/*.test.ts'],
        testTimeout: 60_000,
      },
    })),
  },
});
