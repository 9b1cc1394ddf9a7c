/**
 * Hand-written SVG line and bar charts for the HTML bench report. No plotting library: the report must be
 * one self-contained file that renders without network access.
 */
import { escapeHtml } from './escape.js';

/** One line of a line chart. */
export interface PlotSeries {
  /** Legend label. */
  readonly label: string;
  /** Points (x, y); non-finite points and, on log axes, non-positive ones are dropped (and counted). */
  readonly points: readonly (readonly [number, number])[];
  /** Drawn dashed (reference lines such as memcpy bandwidth). */
  readonly dashed?: boolean;
  /** Series with the same group share a colour and one legend entry (e.g. one method at several T). */
  readonly group?: string;
  /** Palette index, so that one line keeps its colour across the charts of a suite. Default: by group. */
  readonly colourIndex?: number;
  /** 0 … 1: lighter … full colour, to tell apart the series of one group. Default 1. */
  readonly shade?: number;
}

/** A line chart. */
export interface LinePlot {
  readonly kind: 'line';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logX: boolean;
  readonly logY: boolean;
  readonly series: readonly PlotSeries[];
  /** Legend note on what the shades mean (e.g. "lighter: smaller T"). */
  readonly shadeNote?: string;
}

/** A horizontal bar chart (one bar per label). */
export interface BarPlot {
  readonly kind: 'bar';
  readonly title: string;
  readonly valueLabel: string;
  readonly bars: readonly { readonly label: string; readonly value: number }[];
}

/** Any chart of the report. */
export type Plot = LinePlot | BarPlot;

/** Colour-blind-friendly palette (Okabe–Ito), cycled over series. */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#f0e442'];

const WIDTH = 560;
const HEIGHT = 340;
const MARGIN = { left: 64, right: 16, top: 30, bottom: 46 };

/** Formats a tick value compactly. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    const e = Math.floor(Math.log10(a) + 1e-9);
    const m = v / 10 ** e;
    return Math.abs(m - Math.round(m)) < 1e-9 && Math.round(m) === 1 ? `1e${e}` : `${+m.toPrecision(2)}e${e}`;
  }
  return String(+v.toPrecision(3));
}

/** Ticks of a linear axis: 1, 2 or 5 times a power of ten, about five of them. */
export function linearTicks(lo: number, hi: number): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

/** Ticks of a log axis: the powers of ten inside [lo, hi] (thinned to at most 8), or the bounds. */
export function logTicks(lo: number, hi: number): number[] {
  const e0 = Math.ceil(Math.log10(lo) - 1e-9);
  const e1 = Math.floor(Math.log10(hi) + 1e-9);
  if (e1 < e0) return [lo, hi];
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / 8));
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e += every) ticks.push(10 ** e);
  return ticks;
}

interface Axis {
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
}

function axisRange(values: readonly number[], log: boolean): Axis {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (log) {
    if (lo === hi) {
      lo /= 2;
      hi *= 2;
    }
    // Pad by a few percent of a decade so markers on the edge stay inside.
    const pad = (Math.log10(hi) - Math.log10(lo)) * 0.05;
    return { lo: lo / 10 ** pad, hi: hi * 10 ** pad, log };
  }
  if (lo === hi) {
    lo -= Math.abs(lo) * 0.5 || 1;
    hi += Math.abs(hi) * 0.5 || 1;
  }
  const pad = (hi - lo) * 0.05;
  return { lo: lo >= 0 && lo - pad < 0 ? 0 : lo - pad, hi: hi + pad, log };
}

function scale(axis: Axis, v: number, from: number, to: number): number {
  const f = axis.log
    ? (Math.log10(v) - Math.log10(axis.lo)) / (Math.log10(axis.hi) - Math.log10(axis.lo))
    : (v - axis.lo) / (axis.hi - axis.lo);
  return from + f * (to - from);
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** Keeps the points a chart can draw: finite, and positive on log axes. */
export function drawablePoints(
  points: readonly (readonly [number, number])[],
  logX: boolean,
  logY: boolean,
): [number, number][] {
  return points
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0))
    .map(([x, y]) => [x, y]);
}

/** Renders a line chart as an SVG element; every series gets a `data-points` attribute (its drawn count). */
export function renderLinePlot(plot: LinePlot): string {
  const groups = [...new Set(plot.series.map((s, i) => s.group ?? `#${i}`))];
  const series = plot.series.map((s, i) => ({
    ...s,
    drawn: drawablePoints(s.points, plot.logX, plot.logY),
    colour: PALETTE[(s.colourIndex ?? groups.indexOf(s.group ?? `#${i}`)) % PALETTE.length],
    opacity: 0.3 + 0.7 * Math.min(1, Math.max(0, s.shade ?? 1)),
  }));
  const xs = series.flatMap((s) => s.drawn.map((p) => p[0]));
  const ys = series.flatMap((s) => s.drawn.map((p) => p[1]));
  const parts: string[] = [];
  const x0 = MARGIN.left;
  const x1 = WIDTH - MARGIN.right;
  const y0 = HEIGHT - MARGIN.bottom;
  const y1 = MARGIN.top;
  parts.push(
    `<text class="title" x="${WIDTH / 2}" y="18" text-anchor="middle">${escapeHtml(plot.title)}</text>`,
  );
  if (xs.length === 0) {
    parts.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no drawable points</text>`);
  } else {
    const ax = axisRange(xs, plot.logX);
    const ay = axisRange(ys, plot.logY);
    parts.push(`<rect class="frame" x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}"/>`);
    for (const t of plot.logX ? logTicks(ax.lo, ax.hi) : linearTicks(ax.lo, ax.hi)) {
      const x = num(scale(ax, t, x0, x1));
      parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${y1}" y2="${y0}"/>`);
      parts.push(`<text x="${x}" y="${y0 + 16}" text-anchor="middle">${formatTick(t)}</text>`);
    }
    for (const t of plot.logY ? logTicks(ay.lo, ay.hi) : linearTicks(ay.lo, ay.hi)) {
      const y = num(scale(ay, t, y0, y1));
      parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${y}" y2="${y}"/>`);
      parts.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end">${formatTick(t)}</text>`);
    }
    parts.push(
      `<text x="${(x0 + x1) / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeHtml(plot.xLabel)}${plot.logX ? ' (log)' : ''}</text>`,
    );
    parts.push(
      `<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(plot.yLabel)}${plot.logY ? ' (log)' : ''}</text>`,
    );
    series.forEach((s) => {
      const colour = s.colour;
      const pts = [...s.drawn].sort((p, q) => p[0] - q[0]);
      const coords = pts.map(([x, y]) => `${num(scale(ax, x, x0, x1))},${num(scale(ay, y, y0, y1))}`);
      parts.push(
        `<g class="series" data-label="${escapeHtml(s.label)}" data-points="${pts.length}" opacity="${s.opacity.toFixed(2)}">` +
          `<polyline fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${coords.join(' ')}"/>` +
          pts
            .map(
              ([x, y], k) =>
                `<circle cx="${coords[k].split(',')[0]}" cy="${coords[k].split(',')[1]}" r="3" fill="${colour}"><title>${escapeHtml(s.label)}: (${formatTick(x)}, ${formatTick(y)})</title></circle>`,
            )
            .join('') +
          '</g>',
      );
    });
  }
  // One legend entry per group (its first series' colour), then the shade note.
  const seen = new Set<string>();
  const legendItems: string[] = [];
  series.forEach((s, i) => {
    const key = s.group ?? `#${i}`;
    if (seen.has(key)) return;
    seen.add(key);
    const members = series.filter((t, j) => (t.group ?? `#${j}`) === key);
    const hidden = members.reduce((a, t) => a + t.points.length - t.drawn.length, 0);
    legendItems.push(
      `<li><span class="swatch${s.dashed ? ' dashed' : ''}" style="border-color:${s.colour}"></span>${escapeHtml(s.group ?? s.label)}${
        hidden > 0 ? ` <em>(${hidden} point(s) not drawable)</em>` : ''
      }</li>`,
    );
  });
  if (plot.shadeNote) legendItems.push(`<li><em>${escapeHtml(plot.shadeNote)}</em></li>`);
  const legend = legendItems.join('');
  return (
    `<figure class="plot" data-kind="line">` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(plot.title)}">${parts.join('')}</svg>` +
    `<ul class="legend">${legend}</ul></figure>`
  );
}

/** Renders a horizontal bar chart as an SVG element; each bar is a `rect.bar`. */
export function renderBarPlot(plot: BarPlot): string {
  const bars = plot.bars.filter((b) => Number.isFinite(b.value));
  const rowH = 22;
  const labelW = 220;
  const height = MARGIN.top + bars.length * rowH + 30;
  const x0 = labelW;
  const x1 = WIDTH - MARGIN.right - 40;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const parts = [
    `<text class="title" x="${WIDTH / 2}" y="18" text-anchor="middle">${escapeHtml(plot.title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = MARGIN.top + i * rowH;
    const w = max > 0 ? Math.max(1, ((x1 - x0) * Math.max(0, b.value)) / max) : 1;
    parts.push(
      `<text x="${x0 - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>` +
        `<rect class="bar" x="${x0}" y="${y + 3}" width="${num(w)}" height="${rowH - 6}" fill="${PALETTE[0]}"><title>${escapeHtml(b.label)}: ${formatTick(b.value)}</title></rect>` +
        `<text x="${num(x0 + w + 4)}" y="${y + 15}">${formatTick(b.value)}</text>`,
    );
  });
  parts.push(
    `<text x="${(x0 + x1) / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(plot.valueLabel)}</text>`,
  );
  return (
    `<figure class="plot" data-kind="bar">` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(plot.title)}">${parts.join('')}</svg></figure>`
  );
}

/** Renders either kind of chart. */
export function renderPlot(plot: Plot): string {
  return plot.kind === 'line' ? renderLinePlot(plot) : renderBarPlot(plot);
}
