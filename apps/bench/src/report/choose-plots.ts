/**
 * Picks the report's charts from whatever bench rows are present. Suites are written independently, so
 * the report relies only on these conventions (a suite that follows them gets its charts for free):
 *
 * - `params.T` (number): the sequence length, the x axis of the "time vs T", "GB/s vs T" and
 *   "iterations vs T" charts (log–log for time).
 * - `params.method` (string): groups rows into one line per method (DEER, quasi-DEER, …); without it a
 *   row's `name` is used. Other params that vary inside a suite (n, dtype, backend, threads, …) are added
 *   to the line's label, so different configurations never share a line.
 * - `timing.median` (seconds): the time charts.
 * - `metrics.iterations` (number): the iterations chart.
 * - `metrics.gbPerS` (number): the bandwidth chart; rows whose `params.method` or `name` contains
 *   `memcpy` are drawn dashed as the reference the scans are compared with.
 * - `series.<key>` (number[]): one value per iteration; each key becomes an "error vs iteration" chart
 *   (log y; `maxResidual` first). Iterations are numbered from 1.
 *
 * Charts are grouped per suite. Every row also appears in the data table, whatever it contains.
 */
import type { BenchRow } from '../suites/types.js';
import type { LinePlot, Plot, PlotSeries } from './svg-plot.js';

/** The report's charts of one suite. */
export interface SuitePlots {
  readonly suite: string;
  readonly plots: readonly Plot[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const isMemcpy = (row: BenchRow) => `${row.params.method ?? ''} ${row.name}`.toLowerCase().includes('memcpy');

/** Names the line a row belongs to: method (or name), plus the params that vary within its suite. */
export function lineLabeller(rows: readonly BenchRow[]): (row: BenchRow) => string {
  const varying = new Set<string>();
  const keys = new Set(rows.flatMap((r) => Object.keys(r.params)));
  for (const k of keys) {
    if (k === 'T' || k === 'method') continue;
    if (new Set(rows.map((r) => String(r.params[k]))).size > 1) varying.add(k);
  }
  const namesVary = new Set(rows.map((r) => r.name)).size > 1;
  return (row) => {
    const method = row.params.method === undefined ? undefined : String(row.params.method);
    const parts: string[] = [];
    if (method === undefined || (namesVary && !row.name.includes(method))) parts.push(row.name);
    if (method !== undefined) parts.push(method);
    for (const k of [...varying].sort()) if (k in row.params) parts.push(`${k}=${row.params[k]}`);
    return parts.join(' ');
  };
}

/** Groups (x, y) points by line label, keeping first-seen order. */
function lines(
  rows: readonly BenchRow[],
  label: (row: BenchRow) => string,
  point: (row: BenchRow) => [number, number] | undefined,
  dashed: (row: BenchRow) => boolean = () => false,
): PlotSeries[] {
  const byLabel = new Map<string, { points: [number, number][]; dashed: boolean }>();
  for (const row of rows) {
    const p = point(row);
    if (!p) continue;
    const key = label(row);
    const entry = byLabel.get(key) ?? { points: [], dashed: dashed(row) };
    entry.points.push(p);
    byLabel.set(key, entry);
  }
  return [...byLabel].map(([l, e]) => ({ label: l, points: e.points, dashed: e.dashed }));
}

/** The charts for one suite's rows. */
export function plotsForSuite(suite: string, rows: readonly BenchRow[]): Plot[] {
  const plots: Plot[] = [];
  const label = lineLabeller(rows);
  const withT = rows.filter((r) => isNum(r.params.T));
  const tVaries = new Set(withT.map((r) => r.params.T)).size > 1;

  const timed = withT.filter((r) => r.timing && isNum(r.timing.median));
  if (timed.length > 0 && tVaries) {
    plots.push({
      kind: 'line',
      title: `${suite}: time vs T`,
      xLabel: 'T',
      yLabel: 'median time [s]',
      logX: true,
      logY: true,
      series: lines(timed, label, (r) => [r.params.T as number, r.timing!.median]),
    });
  } else {
    const bars = rows.filter((r) => r.timing && isNum(r.timing.median));
    if (bars.length > 0) {
      plots.push({
        kind: 'bar',
        title: `${suite}: median time`,
        valueLabel: 'median time [s]',
        bars: bars.map((r) => ({
          label: `${label(r)}${isNum(r.params.T) ? ` T=${r.params.T}` : ''}`,
          value: r.timing!.median,
        })),
      });
    }
  }

  const iter = rows.filter((r) => isNum(r.metrics.iterations));
  if (iter.length > 0) {
    const iterT = iter.filter((r) => isNum(r.params.T));
    if (tVaries && iterT.length === iter.length) {
      plots.push({
        kind: 'line',
        title: `${suite}: iterations vs T`,
        xLabel: 'T',
        yLabel: 'iterations',
        logX: true,
        logY: false,
        series: lines(iter, label, (r) => [r.params.T as number, r.metrics.iterations as number]),
      });
    } else {
      plots.push({
        kind: 'bar',
        title: `${suite}: iterations`,
        valueLabel: 'iterations',
        bars: iter.map((r) => ({
          label: `${label(r)}${isNum(r.params.T) ? ` T=${r.params.T}` : ''}`,
          value: r.metrics.iterations as number,
        })),
      });
    }
  }

  const bw = rows.filter((r) => isNum(r.metrics.gbPerS));
  if (bw.length > 0) {
    if (bw.every((r) => isNum(r.params.T)) && new Set(bw.map((r) => r.params.T)).size > 1) {
      plots.push({
        kind: 'line',
        title: `${suite}: bandwidth vs T (dashed: memcpy)`,
        xLabel: 'T',
        yLabel: 'GB/s',
        logX: true,
        logY: false,
        series: lines(bw, label, (r) => [r.params.T as number, r.metrics.gbPerS as number], isMemcpy),
      });
    } else {
      plots.push({
        kind: 'bar',
        title: `${suite}: bandwidth`,
        valueLabel: 'GB/s',
        bars: bw.map((r) => ({
          label: `${label(r)}${isNum(r.params.T) ? ` T=${r.params.T}` : ''}`,
          value: r.metrics.gbPerS as number,
        })),
      });
    }
  }

  const seriesKeys = [...new Set(rows.flatMap((r) => Object.keys(r.series ?? {})))].sort((a, b) =>
    a === 'maxResidual' ? -1 : b === 'maxResidual' ? 1 : a.localeCompare(b),
  );
  for (const key of seriesKeys) {
    const withSeries = rows.filter((r) => (r.series?.[key]?.length ?? 0) > 0);
    const series: PlotSeries[] = withSeries.map((r) => ({
      label: `${label(r)}${tVaries && isNum(r.params.T) ? ` T=${r.params.T}` : ''}`,
      points: r.series![key].map((y, i) => [i + 1, y] as const),
    }));
    const plot: LinePlot = {
      kind: 'line',
      title: `${suite}: ${key} vs iteration`,
      xLabel: 'iteration',
      yLabel: key,
      logX: false,
      logY: true,
      series,
    };
    plots.push(plot);
  }
  return plots;
}

/** The charts of every suite present in `rows`, in first-seen suite order. */
export function choosePlots(rows: readonly BenchRow[]): SuitePlots[] {
  const bySuite = new Map<string, BenchRow[]>();
  for (const r of rows) bySuite.set(r.suite, [...(bySuite.get(r.suite) ?? []), r]);
  return [...bySuite].map(([suite, rs]) => ({ suite, plots: plotsForSuite(suite, rs) }));
}
