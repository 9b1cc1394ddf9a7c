#!/usr/bin/env node
// Prepares .device/ for runs on the lent GPU machine: Node + Vulkan/EGL loaders (../shared/device/pack.sh,
// or the same steps inline when that script is absent), the bench device entry bundled with esbuild into
// .device/app/device-entry.mjs (workspace packages from their TypeScript sources, gpu.js and its pure-JS
// dependencies acorn and gpu-mock.js inlined), and the `webgpu` package with only its linux-x64 Dawn
// binary. gpu.js's native `gl` (headlessgl mode) stays out: gpu.js requires it inside a try, so that mode
// reports itself unavailable there. Usage: pnpm device:pack
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const shared = join(root, '../shared/device/pack.sh');
if (existsSync(shared)) execFileSync('bash', [shared], { stdio: 'inherit' });
else if (!existsSync('.device/setup.sh')) {
  console.error(
    '../shared/device/pack.sh not found and .device/setup.sh missing: cannot prepare Node and the loaders',
  );
  process.exit(1);
}
mkdirSync('.device/app', { recursive: true });
const esbuild = join(root, 'node_modules/.bin/esbuild');
const bundle = (entry, outfile) =>
  execFileSync(
    esbuild,
    [
      entry,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--external:webgpu',
      '--external:gl',
      '--conditions=@antler/source',
      '--banner:js=import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);',
      `--outfile=${outfile}`,
    ],
    { stdio: 'inherit' },
  );
bundle('apps/bench/src/device-entry.ts', '.device/app/device-entry.mjs');
// The GPU scan micro-benchmark (dense/block/diagonal kernels on device-resident data): `benchmarks/results/gpu-scans-h100-webgpu.json`.
bundle('packages/backend-webgpu/test/scan-bench.device.ts', '.device/app/scan-bench.mjs');
const webgpu = realpathSync(join(root, 'packages/backend-webgpu/node_modules/webgpu'));
const dest = '.device/app/node_modules/webgpu';
rmSync(dest, { recursive: true, force: true });
mkdirSync(join(dest, 'dist'), { recursive: true });
for (const f of ['package.json', 'index.js', 'types.d.ts']) cpSync(join(webgpu, f), join(dest, f));
cpSync(join(webgpu, 'dist/linux-x64'), join(dest, 'dist/linux-x64'), { recursive: true });
const du = (p) =>
  statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + du(join(p, f)), 0) : statSync(p).size;
const mib = du('.device') / 2 ** 20;
console.log(`.device: ${mib.toFixed(1)} MiB (limit 64)`);
if (mib > 64) process.exit(1);
console.log(
  'run: carry [".device"], command: source .device/setup.sh; node .device/app/device-entry.mjs --out $OUT/gpu.json',
);
console.log(
  '     GPU scans: source .device/setup.sh; cd .device/app && node scan-bench.mjs --out $OUT/gpu-scans.json',
);
