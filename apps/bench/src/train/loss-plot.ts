/** A self-contained SVG line plot of training loss curves (no scripts, no external assets). */

/** One curve of the plot. */
export interface PlotSeries {
  /** Legend label. */
  readonly label: string;
  /** y values at x = 1, 2, … */
  readonly values: readonly number[];
  /** Stroke colour. */
  readonly color: string;
  /** Dash pattern (SVG `stroke-dasharray`), for curves that lie on top of each other. */
  readonly dash?: string;
}

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** "Nice" tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * span; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Renders `series` as an SVG document: x = training step, y = loss (or `yLabel`), with axes, ticks, a legend
 * and a title.
 */
export function renderLossPlot(
  title: string,
  series: readonly PlotSeries[],
  subtitle = '',
  yLabel = 'loss (cross-entropy)',
): string {
  const W = 840;
  const H = 440;
  const left = 64;
  const right = 230;
  const top = subtitle ? 58 : 40;
  const bottom = 48;
  const steps = Math.max(1, ...series.map((s) => s.values.length));
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const yMin = Math.min(0, ...finite);
  const yMax = Math.max(...finite, yMin + 1e-9) * 1.05;
  const px = (x: number): number => left + ((x - 1) / Math.max(1, steps - 1)) * (W - left - right);
  const py = (y: number): number => top + (1 - (y - yMin) / (yMax - yMin)) * (H - top - bottom);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(
    `<text x="${W / 2 - right / 2 + left / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  );
  if (subtitle)
    parts.push(
      `<text x="${W / 2 - right / 2 + left / 2}" y="42" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
    );
  for (const y of ticks(yMin, yMax, 6)) {
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    parts.push(`<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${y}</text>`);
  }
  for (const x of ticks(1, steps, 8).filter((v) => Number.isInteger(v) && v >= 1)) {
    parts.push(
      `<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${H - bottom}" y2="${H - bottom + 4}" stroke="#333"/>`,
    );
    parts.push(`<text x="${px(x).toFixed(1)}" y="${H - bottom + 17}" text-anchor="middle">${x}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${H - bottom}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${H - bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${H - 10}" text-anchor="middle">training step</text>`);
  parts.push(
    `<text transform="translate(16 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  series.forEach((s, k) => {
    const pts = s.values
      .map((v, i) => (Number.isFinite(v) ? `${px(i + 1).toFixed(1)},${py(v).toFixed(1)}` : null))
      .filter((p): p is string => p !== null)
      .join(' ');
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`,
    );
    const ly = top + 10 + k * 20;
    parts.push(
      `<line x1="${W - right + 14}" x2="${W - right + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
    );
    parts.push(`<text x="${W - right + 46}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
