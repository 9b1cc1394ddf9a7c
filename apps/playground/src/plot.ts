/** Minimal canvas line charts (no library: the page must stay small and work offline). */

/** One line of a chart. */
export interface Line {
  readonly ys: ArrayLike<number>;
  /** x values; default 1, 2, 3, … */
  readonly xs?: ArrayLike<number>;
  readonly colour: string;
  readonly width?: number;
  readonly dashed?: boolean;
}

/** Axis settings of a chart. */
export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  /** Horizontal reference line (e.g. the tolerance), drawn dashed. */
  readonly reference?: number;
}

const M = { left: 58, right: 12, top: 24, bottom: 34 };

/**
 * About five tick positions in [lo, hi]: 1, 2 or 5 times a power of ten apart; on a log axis (values are
 * exponents) whole decades; `integers` keeps the step ≥ 1 (iteration numbers, time steps).
 */
function ticks(lo: number, hi: number, log: boolean, integers = false): number[] {
  const raw = (hi - lo) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((k) => k * p).find((st) => st >= raw) ?? 10 * p;
  if (log || integers) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toPrecision(12));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(0) : String(+v.toPrecision(3));
}

/**
 * Draws `lines` into `canvas`; non-finite values (and non-positive ones on a log axis) break the line
 * instead of being clipped. Returns the number of points drawn.
 */
export function drawChart(canvas: HTMLCanvasElement, lines: readonly Line[], opts: ChartOptions): number {
  const ctx = canvas.getContext('2d');
  if (!ctx) return 0;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const tr = (y: number) => (opts.logY ? Math.log10(y) : y);
  const ok = (y: number) => Number.isFinite(y) && (!opts.logY || y > 0);
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.ys.length; i++) {
      if (!ok(l.ys[i])) continue;
      const x = l.xs ? l.xs[i] : i + 1;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, tr(l.ys[i]));
      y1 = Math.max(y1, tr(l.ys[i]));
    }
  }
  if (opts.reference !== undefined && ok(opts.reference)) {
    y0 = Math.min(y0, tr(opts.reference));
    y1 = Math.max(y1, tr(opts.reference));
  }
  ctx.fillStyle = '#222';
  ctx.font = '13px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(opts.title, W / 2, 16);
  if (!(x1 >= x0 && y1 >= y0)) return 0;
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((tr(y) - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  // Axes and ticks.
  ctx.strokeStyle = '#999';
  ctx.lineWidth = 1;
  ctx.setLineDash([]);
  ctx.strokeRect(M.left, M.top, W - M.left - M.right, H - M.top - M.bottom);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'right';
  for (const v of ticks(y0, y1, !!opts.logY)) {
    const y = H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
    ctx.fillText(opts.logY ? `1e${v}` : fmt(v), M.left - 4, y + 4);
  }
  ctx.textAlign = 'center';
  for (const v of ticks(x0, x1, false, true)) ctx.fillText(fmt(v), px(v), H - M.bottom + 14);
  ctx.fillText(opts.xLabel, (M.left + W - M.right) / 2, H - 4);
  ctx.save();
  ctx.translate(12, (M.top + H - M.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(`${opts.yLabel}${opts.logY ? ' (log)' : ''}`, 0, 0);
  ctx.restore();
  ctx.save();
  ctx.beginPath();
  ctx.rect(M.left, M.top, W - M.left - M.right, H - M.top - M.bottom);
  ctx.clip();
  if (opts.reference !== undefined && ok(opts.reference)) {
    ctx.strokeStyle = '#888';
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(M.left, py(opts.reference));
    ctx.lineTo(W - M.right, py(opts.reference));
    ctx.stroke();
  }
  let drawn = 0;
  for (const l of lines) {
    ctx.strokeStyle = l.colour;
    ctx.lineWidth = l.width ?? 1.5;
    ctx.setLineDash(l.dashed ? [6, 4] : []);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < l.ys.length; i++) {
      const y = l.ys[i];
      if (!ok(y)) {
        pen = false;
        continue;
      }
      const X = px(l.xs ? l.xs[i] : i + 1);
      const Y = py(y);
      if (pen) ctx.lineTo(X, Y);
      else ctx.moveTo(X, Y);
      pen = true;
      drawn++;
    }
    ctx.stroke();
    if (l.ys.length < 60) {
      ctx.fillStyle = l.colour;
      for (let i = 0; i < l.ys.length; i++) {
        if (!ok(l.ys[i])) continue;
        ctx.beginPath();
        ctx.arc(px(l.xs ? l.xs[i] : i + 1), py(l.ys[i]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.restore();
  return drawn;
}
