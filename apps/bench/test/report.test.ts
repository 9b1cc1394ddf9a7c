import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../scripts/playground-chromium.mjs';
import { choosePlots, layoutOf } from '../src/report/choose-plots.js';
import { runBench } from '../src/commands/bench.js';
import { renderHtmlReport, writeHtmlReport } from '../src/report/html-report.js';
import type { BenchRow } from '../src/suites/types.js';

const timing = (median: number) => ({
  median,
  min: median * 0.9,
  max: median * 1.2,
  repeats: 3,
  samples: [],
});

/** Synthetic rows covering every convention the report relies on. */
function syntheticRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const method of ['deer', 'quasi-deer', 'elk']) {
    for (const T of [1e2, 1e3, 1e4]) {
      const iters = method === 'deer' ? 6 : 12;
      rows.push({
        suite: 'solvers',
        name: `gru/${method}`,
        params: { T, n: 8, method },
        // time ∝ T: a straight line of slope 1 on log–log axes
        timing: timing(2e-6 * T * (method === 'deer' ? 4 : 1)),
        metrics: { iterations: iters, maxError: 1e-9 },
        series: { maxResidual: Array.from({ length: iters }, (_, k) => 10 ** -k) },
      });
    }
  }
  for (const T of [1e4, 1e5, 1e6]) {
    rows.push({
      suite: 'scan',
      name: 'memcpy',
      params: { T },
      timing: timing(T * 1e-9),
      metrics: { gbPerS: 9 },
    });
    rows.push({
      suite: 'scan',
      name: 'diagonal/chunked <b>',
      params: { T },
      timing: timing(T * 3e-9),
      metrics: { gbPerS: 3 + Math.log10(T) },
    });
  }
  rows.push({ suite: 'misc', name: 'only-a-table', params: { note: 'x' }, metrics: { answer: 42 } });
  return rows;
}

describe('choosePlots', () => {
  it('picks time-vs-T, iterations and convergence plots for solver rows, bandwidth for scan rows', () => {
    const groups = choosePlots(syntheticRows());
    expect(groups.map((g) => g.suite)).toEqual(['solvers', 'scan', 'misc']);
    const [solvers, scan, misc] = groups;
    expect(solvers.plots.map((p) => p.title)).toEqual([
      'solvers: time vs T',
      'solvers: iterations vs T',
      'solvers: maxResidual vs iteration',
    ]);
    const time = solvers.plots[0];
    expect(time.kind === 'line' && time.logX && time.logY).toBe(true);
    if (time.kind !== 'line') throw new Error('expected a line plot');
    expect(time.series.map((s) => s.label)).toEqual(['deer', 'quasi-deer', 'elk']);
    // One method keeps its colour across charts; its convergence curves at several T share it, shaded.
    const conv = solvers.plots[2];
    if (conv.kind !== 'line') throw new Error('expected a line plot');
    expect(conv.series.filter((s) => s.group === 'elk').map((s) => [s.colourIndex, s.shade])).toEqual([
      [2, 1 / 3],
      [2, 2 / 3],
      [2, 1],
    ]);
    expect(time.series.map((s) => s.colourIndex)).toEqual([0, 1, 2]);
    expect(conv.shadeNote).toBe('lighter: smaller T');
    expect(time.series[0].points).toEqual([1e2, 1e3, 1e4].map((T) => [T, 2e-6 * T * 4]));
    const bw = scan.plots.find((p) => p.title.includes('bandwidth'));
    expect(scan.plots.map((p) => p.title)).toEqual([
      'scan: time vs T',
      'scan: bandwidth (dashed: memcpy) vs T',
    ]);
    if (bw?.kind !== 'line') throw new Error('expected a bandwidth line plot');
    expect(bw.series.find((s) => s.label === 'memcpy')?.dashed).toBe(true);
    expect(bw.series.map((s) => s.label)).toEqual(['memcpy', 'diagonal/chunked <b>']);
    expect(bw.series.find((s) => s.label !== 'memcpy')?.dashed).toBe(false);
    expect(misc.plots).toEqual([]);
  });

  it('splits charts into panels by the params that vary and never mixes configurations on a line', () => {
    // Shaped like the scan suite's rows: T fixed, n swept, structure varying, memcpy rows with extra params.
    const rows: BenchRow[] = [];
    for (const structure of ['diagonal', 'dense'])
      for (const n of [1, 8]) {
        const params = { T: 1000, n, dtype: 'float64', structure };
        rows.push({
          suite: 's',
          name: 'memcpy/set',
          params: { ...params, bytes: n * 8000 },
          metrics: { gbps: 10 },
        });
        for (const [algorithm, threads] of [
          ['sequential', 1],
          ['threaded', 2],
        ] as const)
          rows.push({
            suite: 's',
            name: `${structure}/${algorithm}`,
            params: { ...params, algorithm, threads },
            metrics: { gbps: n },
          });
      }
    const layout = layoutOf(rows);
    expect(layout.sweep).toBe('n');
    expect(layout.panelKeys).toEqual(['structure']);
    expect(rows.slice(0, 3).map(layout.lineOf)).toEqual([
      'memcpy/set',
      'sequential threads=1',
      'threaded threads=2',
    ]);
    const plots = choosePlots(rows)[0].plots;
    expect(plots.map((p) => p.title)).toEqual([
      's: bandwidth (dashed: memcpy) vs n (structure=diagonal)',
      's: bandwidth (dashed: memcpy) vs n (structure=dense)',
    ]);
    const first = plots[0];
    if (first.kind !== 'line') throw new Error('expected a line plot');
    expect(first.series.map((x) => [x.label, x.points, x.dashed])).toEqual([
      [
        'memcpy/set',
        [
          [1, 10],
          [8, 10],
        ],
        true,
      ],
      [
        'sequential threads=1',
        [
          [1, 1],
          [8, 8],
        ],
        false,
      ],
      [
        'threaded threads=2',
        [
          [1, 1],
          [8, 8],
        ],
        false,
      ],
    ]);
  });

  it('falls back to bar charts when nothing is swept', () => {
    const rows: BenchRow[] = [
      {
        suite: 'b',
        name: 'x',
        params: { T: 5, method: 'deer' },
        timing: timing(1),
        metrics: { iterations: 4 },
      },
      {
        suite: 'b',
        name: 'x',
        params: { T: 5, method: 'elk' },
        timing: timing(2),
        metrics: { iterations: 9 },
      },
    ];
    const plots = choosePlots(rows)[0].plots;
    expect(plots.map((p) => [p.kind, p.title])).toEqual([
      ['bar', 'b: time'],
      ['bar', 'b: iterations'],
    ]);
    const bars = plots[1];
    if (bars.kind !== 'bar') throw new Error('expected bars');
    expect(bars.bars).toEqual([
      { label: 'deer', value: 4 },
      { label: 'elk', value: 9 },
    ]);
  });
});

describe('renderHtmlReport', () => {
  it('is one self-contained document: no scripts, no external references, escaped text', () => {
    const html = renderHtmlReport({ rows: syntheticRows(), machine: { cpuModel: 'test <cpu>' } });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=["']?https?:/i);
    expect(html).toContain('default-src &#39;none&#39;'.replace(/&#39;/g, "'"));
    expect(html).toContain('diagonal/chunked &lt;b&gt;');
    expect(html).not.toContain('chunked <b>');
    expect(html).toContain('test &lt;cpu&gt;');
    expect(html).toMatch(/Measured on test &lt;cpu&gt;/);
  });
});

describe('HTML report in headless Chromium', () => {
  let dir: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'antler-report-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders every plot with drawn points and no console errors', async () => {
    const file = join(dir, 'report.html');
    writeHtmlReport(file, { rows: syntheticRows(), machine: { cpus: 2 }, options: { quick: true } });
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(1000);
    const { page, errors } = browser;
    await page.goto(pathToFileURL(file).href);
    const figures = await page.$$eval('figure.plot', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg')!;
        const box = svg.getBoundingClientRect();
        return {
          kind: f.getAttribute('data-kind'),
          width: box.width,
          height: box.height,
          series: Array.from(f.querySelectorAll('g.series')).map((g) => ({
            label: g.getAttribute('data-label'),
            points: Number(g.getAttribute('data-points')),
            circles: g.querySelectorAll('circle').length,
            polyline: g.querySelector('polyline')?.getAttribute('points') ?? '',
          })),
          bars: Array.from(f.querySelectorAll('rect.bar')).map((r) => r.getBoundingClientRect().width),
        };
      }),
    );
    expect(figures.length).toBe(5);
    for (const fig of figures) {
      expect(fig.width).toBeGreaterThan(100);
      expect(fig.height).toBeGreaterThan(100);
      if (fig.kind === 'line') {
        expect(fig.series.length).toBeGreaterThan(0);
        for (const s of fig.series) {
          expect(s.points).toBeGreaterThan(0);
          expect(s.circles).toBe(s.points);
          expect(s.polyline.split(' ').length).toBe(s.points);
        }
      } else {
        expect(fig.bars.length).toBeGreaterThan(0);
        for (const w of fig.bars) expect(w).toBeGreaterThan(0);
      }
    }
    // time ∝ T on log–log axes: the drawn points of each method are collinear, and the faster method lies below.
    const timeSeries = figures[0].series;
    const parse = (p: string) => p.split(' ').map((xy) => xy.split(',').map(Number));
    for (const s of timeSeries) {
      const [[xa, ya], [xb, yb], [xc, yc]] = parse(s.polyline);
      expect(Math.abs((yb - ya) * (xc - xa) - (yc - ya) * (xb - xa))).toBeLessThan(2 * Math.abs(xc - xa));
      expect(yc).toBeLessThan(ya); // larger T, longer time: higher on screen (smaller y)
    }
    const deerY = parse(timeSeries[0].polyline)[0][1];
    const quasiY = parse(timeSeries[1].polyline)[0][1];
    expect(quasiY).toBeGreaterThan(deerY);
    expect(await page.$$eval('table.data tbody tr', (trs) => trs.length)).toBe(syntheticRows().length);
    expect(errors).toEqual([]);
  });

  it('renders the real solvers suite (--quick): convergence curves from its series', async () => {
    const report = await runBench(
      { suite: 'solvers', quick: true, repeats: 1, warmup: 0, progress: false },
      () => {},
    );
    const file = join(dir, 'solvers.html');
    writeHtmlReport(file, report);
    const { page, errors } = browser;
    await page.goto(pathToFileURL(file).href);
    const titles = await page.$$eval('svg text.title', (ts) => ts.map((t) => t.textContent ?? ''));
    expect(titles.some((t) => t.includes('maxResidual vs iteration'))).toBe(true);
    const points = await page.$$eval('g.series', (gs) =>
      gs.map((g) => Number(g.getAttribute('data-points'))),
    );
    expect(points.length).toBeGreaterThan(0);
    for (const p of points) expect(p).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('renders the real scan suite (--quick) with a chart per panel and the memcpy reference', async () => {
    const report = await runBench(
      { suite: 'scan', quick: true, repeats: 1, warmup: 0, progress: false },
      () => {},
    );
    expect(report.rows.length).toBeGreaterThan(0);
    const file = join(dir, 'scan.html');
    writeHtmlReport(file, report);
    const { page, errors } = browser;
    await page.goto(pathToFileURL(file).href);
    const series = await page.$$eval('g.series', (gs) =>
      gs.map((g) => ({ label: g.getAttribute('data-label'), points: Number(g.getAttribute('data-points')) })),
    );
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) expect(s.points).toBeGreaterThan(0);
    expect(series.some((s) => s.label?.includes('memcpy'))).toBe(true);
    expect(await page.$$eval('table.data tbody tr', (trs) => trs.length)).toBe(report.rows.length);
    expect(errors).toEqual([]);
  });
});
