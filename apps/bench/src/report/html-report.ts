/**
 * The self-contained HTML report of `antler bench --html <file>`: charts (inline SVG, no scripts, no
 * network — a Content-Security-Policy forbids any fetch), the machine description and a data table.
 */
import { writeFileSync } from 'node:fs';
import { formatNumber, formatSeconds } from '../format.js';
import type { BenchRow } from '../suites/types.js';
import { choosePlots } from './choose-plots.js';
import { escapeHtml } from './escape.js';
import { renderPlot } from './svg-plot.js';

/** What the report is rendered from: the same document `antler bench --json` writes. */
export interface HtmlReportInput {
  /** The machine the rows were measured on (shown as a key/value list). */
  readonly machine?: object;
  /** The bench options (shown as a key/value list). */
  readonly options?: object;
  /** The measured rows. */
  readonly rows: readonly BenchRow[];
  /** Page title; default "Antler benchmark report". */
  readonly title?: string;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
.plots{display:flex;flex-wrap:wrap;gap:16px}
figure.plot{margin:0;border:1px solid #e4e4e4;border-radius:6px;padding:8px;background:#fff}
svg text{font:11px system-ui,sans-serif;fill:#333}svg text.title{font-size:13px;font-weight:600}
svg .frame{fill:none;stroke:#999}svg .grid{stroke:#eee}
ul.legend{list-style:none;margin:4px 0 0;padding:0;font-size:12px;max-width:560px}
ul.legend li{display:inline-block;margin-right:12px}
.swatch{display:inline-block;width:18px;margin-right:4px;border-top:3px solid;vertical-align:middle}
.swatch.dashed{border-top-style:dashed}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dl.kv dt{font-weight:600}dl.kv dd{margin:0}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f5}p.machine{color:#555}td.num{text-align:right;font-variant-numeric:tabular-nums}
`;

function keyValues(obj: object | undefined): string {
  if (!obj) return '<p>–</p>';
  const items = Object.entries(obj).map(
    ([k, v]) =>
      `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}</dd>`,
  );
  return `<dl class="kv">${items.join('')}</dl>`;
}

const fmtKv = (rec: Readonly<Record<string, unknown>>) =>
  Object.entries(rec)
    .map(([k, v]) => `${k}=${formatNumber(v as number | string | boolean | null)}`)
    .join(' ');

function dataTable(rows: readonly BenchRow[]): string {
  const body = rows
    .map((r) => {
      const t = r.timing;
      const series = Object.entries(r.series ?? {})
        .map(([k, v]) => `${k}[${v.length}]`)
        .join(' ');
      return (
        `<tr><td>${escapeHtml(r.suite)}</td><td>${escapeHtml(r.name)}</td><td>${escapeHtml(fmtKv(r.params))}</td>` +
        `<td class="num">${t ? escapeHtml(formatSeconds(t.median)) : '–'}</td>` +
        `<td class="num">${t ? escapeHtml(`${formatSeconds(t.min)} – ${formatSeconds(t.max)}`) : '–'}</td>` +
        `<td class="num">${t ? t.repeats : '–'}</td>` +
        `<td>${escapeHtml(fmtKv(r.metrics))}</td><td>${escapeHtml(series)}</td></tr>`
      );
    })
    .join('');
  return (
    '<table class="data"><thead><tr><th>suite</th><th>name</th><th>params</th><th>median</th><th>min – max</th>' +
    `<th>runs</th><th>metrics</th><th>series</th></tr></thead><tbody>${body}</tbody></table>`
  );
}

/** One line naming the machine (CPU, cores, memory, Node, date) from the fields `machineInfo()` records. */
function machineLine(machine: object | undefined): string {
  if (!machine) return '';
  const m = machine as Record<string, unknown>;
  const parts = [
    m.cpuModel && `${m.cpuModel}`,
    m.cpus && `${m.cpus} logical CPUs`,
    m.memoryGiB && `${m.memoryGiB} GiB`,
    m.platform && `${m.platform}/${m.arch}`,
    m.node && `Node ${m.node}`,
    Array.isArray(m.loadAverage) && `load ${m.loadAverage.join(' / ')}`,
    m.date && `${m.date}`,
  ].filter(Boolean);
  return parts.length ? `<p class="machine">Measured on ${escapeHtml(parts.join(' · '))}.</p>` : '';
}

/** Renders the report as one HTML document (a string); charts are chosen from the rows' params and metrics. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const title = input.title ?? 'Antler benchmark report';
  const groups = choosePlots(input.rows);
  const sections = groups
    .map(
      (g) =>
        `<section class="suite" data-suite="${escapeHtml(g.suite)}"><h2>${escapeHtml(g.suite)}</h2>` +
        (g.plots.length
          ? `<div class="plots">${g.plots.map(renderPlot).join('')}</div>`
          : '<p>No chartable metrics in this suite (see the table).</p>') +
        '</section>',
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${machineLine(input.machine)}
<p>${input.rows.length} rows. Times are medians over the timed repeats (after warm-up); ratios come from the same run. Hover a point for its value.</p>
${sections || '<p>No rows.</p>'}
<h2>Machine</h2>${keyValues(input.machine)}
<h2>Options</h2>${keyValues(input.options)}
<h2>Data</h2>${dataTable(input.rows)}
</body></html>
`;
}

/** Writes {@link renderHtmlReport}'s document to `file`. */
export function writeHtmlReport(file: string, input: HtmlReportInput): void {
  writeFileSync(file, renderHtmlReport(input));
}
