/**
 * The playground is a static site: `pnpm --filter playground build` writes apps/playground/dist.
 * Workspace packages are read from their TypeScript sources (the `@antler/source` export condition), so
 * no package build is needed first. Node built-ins that packages may import (worker_threads and os for
 * @antler/scan's threaded backend, fs/promises for @antler/zoo's weight-file reader) are replaced by
 * browser stubs, so the bundle has no externalised Node modules: that code is never called here.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const stub = (name: string) => fileURLToPath(new URL(`./src/stubs/${name}.ts`, import.meta.url));

export default defineConfig({
  base: './',
  resolve: {
    conditions: ['@antler/source', 'browser', 'module', 'import', 'default'],
    alias: [
      { find: /^node:os$/, replacement: stub('node-os') },
      { find: /^node:worker_threads$/, replacement: stub('node-worker-threads') },
      { find: /^node:fs\/promises$/, replacement: stub('node-fs-promises') },
    ],
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
