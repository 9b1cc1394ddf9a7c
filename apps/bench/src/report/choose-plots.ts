/**
 * Picks the report's charts from whatever bench rows are present. Suites are written independently, so
 * the report relies only on these conventions (a suite that follows them gets its charts for free):
 *
 * - **Sweep (x axis)**: the first of `params.T`, `params.n`, `params.batch` (numbers) that varies within
 *   the suite. Time charts are log–log.
 * - **Lines**: one per `params.method` (DEER, quasi-DEER, …), else per `params.algorithm`, else per row
 *   `name`; `params.threads` and `params.backend` are added to the label when they vary.
 * - **Panels**: every other param present in all rows of the suite that varies (dtype, structure, n when
 *   it is not the sweep, …) splits the charts, one chart per combination, so configurations never share a
 *   line. Params present in only some rows (e.g. `bytes` on memcpy rows) are ignored.
 * - `timing.median` (seconds): "time vs sweep".
 * - `metrics.iterations` (number): "iterations vs sweep".
 * - `metrics.gbPerS` or `metrics.gbps` (number): "bandwidth vs sweep"; rows whose method, algorithm or
 *   name contains `memcpy` are drawn dashed as the reference (in the time charts too).
 * - `series.<key>` (number[]): one value per iteration, 1-based; each key becomes an "error vs iteration"
 *   chart (log y; `maxResidual` first).
 *
 * Without a varying sweep param the time, iteration and bandwidth charts become bar charts. Charts are
 * grouped per suite; every row also appears in the data table, whatever it contains.
 */
import type { BenchRow } from '../suites/types.js';
import type { Plot, PlotSeries } from './svg-plot.js';

/** The report's charts of one suite. */
export interface SuitePlots {
  readonly suite: string;
  readonly plots: readonly Plot[];
}

const SWEEP_KEYS = ['T', 'n', 'batch'] as const;
const LINE_KEYS = ['method', 'algorithm'] as const;
const LINE_EXTRA_KEYS = ['threads', 'backend'] as const;
const BANDWIDTH_KEYS = ['gbPerS', 'gbps'] as const;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const varies = (rows: readonly BenchRow[], key: string) =>
  new Set(rows.map((r) => String(r.params[key]))).size > 1;

const isMemcpy = (row: BenchRow) =>
  `${row.params.method ?? ''} ${row.params.algorithm ?? ''} ${row.name}`.toLowerCase().includes('memcpy');

const bandwidth = (row: BenchRow): number | undefined => {
  for (const k of BANDWIDTH_KEYS) if (isNum(row.metrics[k])) return row.metrics[k] as number;
  return undefined;
};

/** How a suite's rows are laid out: the sweep param, the panel params and the line label. */
export interface Layout {
  /** The x-axis param, or undefined when none varies. */
  readonly sweep?: string;
  /** Params whose combinations split the charts. */
  readonly panelKeys: readonly string[];
  /** The line a row belongs to. */
  lineOf(row: BenchRow): string;
  /** The panel a row belongs to (`''` when there is one panel). */
  panelOf(row: BenchRow): string;
  /** A line's palette index: its first-seen order in the suite, so colours agree across charts. */
  colourOf(line: string): number;
}

/** Works out the sweep, panels and line labels of one suite's rows. */
export function layoutOf(rows: readonly BenchRow[]): Layout {
  const sweep = SWEEP_KEYS.find((k) => rows.some((r) => isNum(r.params[k])) && varies(rows, k));
  const everywhere = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].filter((k) =>
    rows.every((r) => k in r.params),
  );
  const lineKeys = new Set<string>([...LINE_KEYS, ...LINE_EXTRA_KEYS]);
  const panelKeys = everywhere.filter((k) => k !== sweep && !lineKeys.has(k) && varies(rows, k)).sort();
  const extras = LINE_EXTRA_KEYS.filter((k) => varies(rows, k));
  const lineOf = (row: BenchRow): string => {
    const key = LINE_KEYS.find((k) => row.params[k] !== undefined);
    const parts = [key ? String(row.params[key]) : row.name];
    for (const k of extras) if (row.params[k] !== undefined) parts.push(`${k}=${row.params[k]}`);
    return parts.join(' ');
  };
  const order = [...new Set(rows.map(lineOf))];
  return {
    sweep,
    panelKeys,
    lineOf,
    colourOf: (line) => Math.max(0, order.indexOf(line)),
    panelOf(row) {
      return panelKeys.map((k) => `${k}=${row.params[k]}`).join(' ');
    },
  };
}

/** Groups rows by a key, keeping first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

function lines(
  rows: readonly BenchRow[],
  layout: Layout,
  y: (row: BenchRow) => number | undefined,
  dashed: (row: BenchRow) => boolean = () => false,
): PlotSeries[] {
  const sweep = layout.sweep!;
  return [...groupBy(rows, layout.lineOf)]
    .map(([label, rs]) => ({
      label,
      colourIndex: layout.colourOf(label),
      dashed: rs.some(dashed),
      points: rs
        .map((r) => [r.params[sweep], y(r)] as const)
        .filter((p): p is readonly [number, number] => isNum(p[0]) && isNum(p[1])),
    }))
    .filter((s) => s.points.length > 0);
}

/** One metric over the sweep (a line chart per panel), or a bar chart per panel without a sweep. */
function metricPlots(
  suite: string,
  rows: readonly BenchRow[],
  layout: Layout,
  what: { title: string; label: string; logY: boolean },
  y: (row: BenchRow) => number | undefined,
  dashed?: (row: BenchRow) => boolean,
): Plot[] {
  const plots: Plot[] = [];
  const having = rows.filter((r) => isNum(y(r)));
  for (const [panel, rs] of groupBy(having, layout.panelOf)) {
    const title = `${suite}: ${what.title}${layout.sweep ? ` vs ${layout.sweep}` : ''}${panel ? ` (${panel})` : ''}`;
    if (layout.sweep && rs.every((r) => isNum(r.params[layout.sweep!]))) {
      plots.push({
        kind: 'line',
        title,
        xLabel: layout.sweep,
        yLabel: what.label,
        logX: true,
        logY: what.logY,
        series: lines(rs, layout, y, dashed),
      });
    } else {
      plots.push({
        kind: 'bar',
        title,
        valueLabel: what.label,
        bars: rs.map((r) => ({ label: layout.lineOf(r), value: y(r)! })),
      });
    }
  }
  return plots;
}

/** The charts for one suite's rows. */
export function plotsForSuite(suite: string, rows: readonly BenchRow[]): Plot[] {
  const layout = layoutOf(rows);
  const plots: Plot[] = [
    ...metricPlots(
      suite,
      rows,
      layout,
      { title: 'time', label: 'median time [s]', logY: true },
      (r) => r.timing?.median,
      isMemcpy,
    ),
    ...metricPlots(suite, rows, layout, { title: 'iterations', label: 'iterations', logY: false }, (r) =>
      isNum(r.metrics.iterations) ? r.metrics.iterations : undefined,
    ),
    ...metricPlots(
      suite,
      rows,
      layout,
      { title: 'bandwidth (dashed: memcpy)', label: 'GB/s', logY: false },
      bandwidth,
      isMemcpy,
    ),
  ];
  const seriesKeys = [...new Set(rows.flatMap((r) => Object.keys(r.series ?? {})))].sort((a, b) =>
    a === 'maxResidual' ? -1 : b === 'maxResidual' ? 1 : a.localeCompare(b),
  );
  // Series of one line at several sweep values share its colour; smaller sweep values are lighter.
  const sweep = layout.sweep;
  const sweepValues = sweep
    ? [...new Set(rows.map((r) => r.params[sweep]).filter(isNum))].sort((a, b) => a - b)
    : [];
  const shadeOf = (r: BenchRow) => {
    if (!sweep || sweepValues.length < 2) return 1;
    return (sweepValues.indexOf(r.params[sweep] as number) + 1) / sweepValues.length;
  };
  for (const key of seriesKeys) {
    const withSeries = rows.filter((r) => (r.series?.[key]?.length ?? 0) > 0);
    for (const [panel, rs] of groupBy(withSeries, layout.panelOf)) {
      plots.push({
        kind: 'line',
        title: `${suite}: ${key} vs iteration${panel ? ` (${panel})` : ''}`,
        xLabel: 'iteration',
        yLabel: key,
        logX: false,
        logY: true,
        series: rs.map((r) => ({
          label: `${layout.lineOf(r)}${sweep ? ` ${sweep}=${r.params[sweep]}` : ''}`,
          group: layout.lineOf(r),
          colourIndex: layout.colourOf(layout.lineOf(r)),
          shade: shadeOf(r),
          points: r.series![key].map((v, i) => [i + 1, v] as const),
        })),
        shadeNote: sweep && sweepValues.length > 1 ? `lighter: smaller ${sweep}` : undefined,
      });
    }
  }
  return plots;
}

/** The charts of every suite present in `rows`, in first-seen suite order. */
export function choosePlots(rows: readonly BenchRow[]): SuitePlots[] {
  return [...groupBy(rows, (r) => r.suite)].map(([suite, rs]) => ({
    suite,
    plots: plotsForSuite(suite, rs),
  }));
}
