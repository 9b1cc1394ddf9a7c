import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderTrainSummary,
  runTrainCommand,
  type TrainCommandOptions,
  writeTrainOutputs,
} from '../src/commands/train.js';

const small: TrainCommandOptions = {
  methods: 'deer,quasi-deer,sequential',
  length: 80,
  hidden: 4,
  trainSize: 16,
  testSize: 8,
  batchSize: 8,
  steps: 10,
  lr: 0.1,
  seed: 3,
  noise: 0.3,
  atol: 1e-10,
  rtol: 0,
  warmStartComparison: true,
  out: '',
  progress: false,
};

describe('antler train (small)', () => {
  it('DEER and quasi-DEER follow the sequential BPTT loss curve from the same seed; the final loss agrees to 5%', async () => {
    const lines: string[] = [];
    const report = await runTrainCommand(small, (l) => lines.push(l));
    const byMethod = (m: string) => report.runs.find((r) => r.method === m);
    const seq = byMethod('sequential');
    const deer = byMethod('deer');
    const quasi = byMethod('quasi-deer');
    expect(seq && deer && quasi).toBeTruthy();
    if (!seq || !deer || !quasi) return;
    expect(seq.adjointPath).toBe('vjp-sequential');
    expect(deer.adjointPath).toBe('dense-reverse-scan');
    for (let k = 0; k < small.steps; k++) {
      expect(Math.abs(deer.losses[k] - seq.losses[k])).toBeLessThan(1e-6);
      expect(Math.abs(quasi.losses[k] - seq.losses[k])).toBeLessThan(1e-6);
    }
    expect(Math.abs(deer.finalLoss - seq.finalLoss)).toBeLessThan(0.05 * seq.finalLoss);
    expect(deer.testAccuracy).toBeCloseTo(seq.testAccuracy, 10);
    // 16 sequences in batches of 8: steps 3 … 10 are warm-started and probed from zeros.
    expect(report.warmStart.map((w) => [w.method, w.steps])).toEqual([
      ['deer', 8],
      ['quasi-deer', 8],
    ]);
    expect(quasi.coldIterations.slice(0, 2)).toEqual([null, null]);
    expect(seq.coldIterations.every((c) => c === null)).toBe(true);
    expect(lines.some((l) => l.startsWith('deer: step 10/10'))).toBe(true);

    const summary = renderTrainSummary(report);
    const [header, , firstRow] = summary.split('\n');
    expect(header.trim().split(/\s{2,}/)).toHaveLength(firstRow.trim().split(/\s{2,}/).length);
    expect(header).toMatch(/^method\s+median s\/step/);
    expect(summary).toMatch(
      /quasi-deer: .* iterations\/step warm-started vs .* from zeros on the same 8 steps/,
    );

    const dir = mkdtempSync(join(tmpdir(), 'antler-train-'));
    const [jsonFile, svgFile, iterFile] = writeTrainOutputs(report, join(dir, 'run'));
    expect(readFileSync(iterFile, 'utf8').match(/<polyline/g)).toHaveLength(4);
    const parsed = JSON.parse(readFileSync(jsonFile, 'utf8'));
    expect(parsed.tool).toBe('antler train');
    expect(parsed.runs).toHaveLength(3);
    expect(parsed.runs[0].losses).toHaveLength(small.steps);
    const svg = readFileSync(svgFile, 'utf8');
    expect(svg.match(/<polyline/g)).toHaveLength(3);
  });

  it('rejects unknown methods and a batch larger than the data set with one clear line', async () => {
    await expect(runTrainCommand({ ...small, methods: 'deer,newton' })).rejects.toThrow(
      /--methods: unknown method 'newton'/,
    );
    await expect(runTrainCommand({ ...small, batchSize: 32 })).rejects.toThrow(
      /--batch-size 32 exceeds --train-size 16/,
    );
  });
});
