/** `antler demo`: the README's main job. */
import type { Command } from 'commander';
import { createSequentialBackend } from '@antler/scan';
import { formatSeconds } from '../format.js';

/** Registers `antler demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('evaluate a default model sequentially and with every method, and print a comparison table')
    .action(() => {
      // Interim demo until the solvers land: a diagonal affine scan against a plain loop.
      const T = 1_000_000;
      const a = new Float64Array(T).map((_, t) => 0.9 + 0.05 * Math.sin(t));
      const b = new Float64Array(T).map((_, t) => Math.cos(t));
      const out = new Float64Array(T);
      const t0 = performance.now();
      createSequentialBackend().affineScan({
        structure: 'diagonal',
        batch: 1,
        length: T,
        size: 1,
        a: { data: a },
        b: { data: b },
        out: { data: out },
      });
      const t1 = performance.now();
      let s = 0;
      let err = 0;
      for (let t = 0; t < T; t++) {
        s = a[t] * s + b[t];
        err = Math.max(err, Math.abs(s - out[t]));
      }
      console.log(`diagonal scan, T = ${T}: ${formatSeconds((t1 - t0) / 1000)}, max error vs loop ${err}`);
    });
}
