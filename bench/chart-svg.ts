/**
 * The publish-rate chart of `npm run bench` (embedded in docs/benchmarks.md): per account, the creates in
 * the sliding window ending at each sample time, as creates per minute, against the account's limit as a
 * dashed line. Plain SVG text built in Node (no browser, no DOM); the same input gives the same bytes.
 *
 * With a handful of accounts each gets a colour and a legend entry. With many (the benchmark's 20) every
 * account is a thin muted line and only the one with the highest peak is drawn in colour and named, so
 * the chart still answers "did any account go over the limit, and which came closest".
 */

export interface RateSeries {
  readonly account: string;
  /** When each create happened (ms epoch), any order. */
  readonly createdAtMs: readonly number[];
}

export interface RateChartInput {
  readonly series: readonly RateSeries[];
  /** Creates per rolling minute allowed per account: the dashed line. */
  readonly limitPerMinute: number;
  readonly title: string;
  /** Length of the sliding window. @default 60000 */
  readonly windowMs?: number;
  /** Distance between samples. @default 5000 */
  readonly stepMs?: number;
  /** @default 760 */
  readonly width?: number;
  /** @default 380 */
  readonly height?: number;
}

/** Up to this many accounts each get a colour and a legend entry; more are drawn muted. */
export const MAX_COLOURED_SERIES = 6;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'] as const;
const MUTED = '#9aa5b1';
const HIGHLIGHT = '#d62728';
const LIMIT_COLOUR = '#444444';

const MARGIN = { top: 40, right: 20, bottom: 50, left: 60 } as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** A number as SVG writes it: at most 1 decimal, no `-0`. */
const n = (value: number): string => {
  const r = Math.round(value * 10) / 10;
  return Object.is(r, -0) ? '0' : String(r);
};

/** The sampled rate of one account: creates in (t − window, t] scaled to a minute, at t0, t0 + step, …, end. */
export function sampleRate(createdAtMs: readonly number[], t0: number, end: number, windowMs: number, stepMs: number): number[] {
  const sorted = [...createdAtMs].sort((a, b) => a - b);
  const out: number[] = [];
  let lo = 0; // first create inside the window
  let hi = 0; // first create after t
  for (let t = t0; t <= end; t += stepMs) {
    while (hi < sorted.length && (sorted[hi] as number) <= t) hi++;
    while (lo < hi && (sorted[lo] as number) <= t - windowMs) lo++;
    out.push(((hi - lo) * 60_000) / windowMs);
  }
  return out;
}

/** A round axis maximum at or above `value`: 1, 2, 2.5 or 5 × a power of ten. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** Tick step for an axis spanning `span` with about `target` ticks. */
function tickStep(span: number, target: number): number {
  return niceCeil(span / Math.max(1, target));
}

export function renderRateChart(input: RateChartInput): string {
  const windowMs = input.windowMs ?? 60_000;
  const stepMs = input.stepMs ?? 5_000;
  const width = input.width ?? 760;
  const height = input.height ?? 380;
  if (!(windowMs > 0 && stepMs > 0)) throw new RangeError('windowMs and stepMs must be positive');
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;

  const all = input.series.flatMap((s) => s.createdAtMs);
  const t0 = all.length > 0 ? Math.min(...all) : 0;
  const last = all.length > 0 ? Math.max(...all) : 0;
  // Sample until the last create has left the window, so each line comes back down.
  const end = t0 + Math.ceil((last - t0 + windowMs) / stepMs) * stepMs;
  const rates = input.series.map((s) => ({ account: s.account, values: sampleRate(s.createdAtMs, t0, end, windowMs, stepMs) }));
  const peaks = rates.map((r) => Math.max(0, ...r.values));
  const peak = Math.max(0, ...peaks);
  const yMax = niceCeil(Math.max(input.limitPerMinute * 1.15, peak * 1.05, 1));
  const minutes = Math.max((end - t0) / 60_000, stepMs / 60_000);

  const x = (minute: number) => MARGIN.left + (minute / minutes) * plotW;
  const y = (rate: number) => MARGIN.top + plotH - (rate / yMax) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(input.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="title" x="${n(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(input.title)}</text>`,
  );

  // Axes, ticks and grid.
  parts.push('<g class="axes" stroke="#000000" stroke-width="1">');
  parts.push(`<line class="x-axis" x1="${MARGIN.left}" y1="${n(y(0))}" x2="${n(x(minutes))}" y2="${n(y(0))}"/>`);
  parts.push(`<line class="y-axis" x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${n(y(0))}"/>`);
  parts.push('</g>');
  parts.push('<g class="ticks" fill="#333333">');
  const xStep = tickStep(minutes, 8);
  for (let m = 0; m <= minutes + 1e-9; m += xStep) {
    parts.push(
      `<line x1="${n(x(m))}" y1="${n(y(0))}" x2="${n(x(m))}" y2="${n(y(0) + 5)}" stroke="#000000"/>`,
      `<text x="${n(x(m))}" y="${n(y(0) + 18)}" text-anchor="middle">${n(m)}</text>`,
    );
  }
  const yStep = tickStep(yMax, 5);
  for (let r = 0; r <= yMax + 1e-9; r += yStep) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${n(y(r))}" x2="${n(x(minutes))}" y2="${n(y(r))}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${n(y(r) + 4)}" text-anchor="end">${n(r)}</text>`,
    );
  }
  parts.push('</g>');
  parts.push(
    `<text class="x-label" x="${n(MARGIN.left + plotW / 2)}" y="${height - 10}" text-anchor="middle">time since the first create (minutes)</text>`,
    `<text class="y-label" transform="translate(16 ${n(MARGIN.top + plotH / 2)}) rotate(-90)" text-anchor="middle">creates per rolling ${n(windowMs / 1000)} s, per minute</text>`,
  );

  // One polyline per account; with many, muted lines and the highest peak highlighted (drawn last, on top).
  const coloured = rates.length <= MAX_COLOURED_SERIES;
  const highlighted = coloured || rates.length === 0 ? -1 : peaks.indexOf(peak);
  const order = rates.map((_, i) => i).filter((i) => i !== highlighted);
  if (highlighted >= 0) order.push(highlighted);
  parts.push('<g class="series" fill="none" stroke-linejoin="round">');
  for (const i of order) {
    const r = rates[i] as (typeof rates)[number];
    const points = r.values.map((v, k) => `${n(x((k * stepMs) / 60_000))},${n(y(v))}`).join(' ');
    const colour = coloured ? (PALETTE[i % PALETTE.length] as string) : i === highlighted ? HIGHLIGHT : MUTED;
    const strokeWidth = coloured || i === highlighted ? 2 : 1;
    const opacity = coloured || i === highlighted ? '1' : '0.6';
    parts.push(
      `<polyline class="account" data-account="${escapeXml(r.account)}" stroke="${colour}" stroke-width="${strokeWidth}" stroke-opacity="${opacity}" points="${points}"/>`,
    );
  }
  parts.push('</g>');

  // The limit.
  parts.push(
    `<line class="limit" x1="${MARGIN.left}" y1="${n(y(input.limitPerMinute))}" x2="${n(x(minutes))}" y2="${n(y(input.limitPerMinute))}" stroke="${LIMIT_COLOUR}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
  );

  // Legend, top right inside the plot.
  const legend: { label: string; colour: string; dashed?: boolean }[] = [
    { label: `limit ${n(input.limitPerMinute)}/min`, colour: LIMIT_COLOUR, dashed: true },
  ];
  if (coloured) {
    rates.forEach((r, i) => {
      legend.push({ label: r.account, colour: PALETTE[i % PALETTE.length] as string });
    });
  } else if (rates.length > 0) {
    legend.push({ label: `${rates.length} accounts, one line each`, colour: MUTED });
    const top = rates[highlighted] as (typeof rates)[number];
    legend.push({ label: `highest peak: ${top.account} (${n(peak)}/min)`, colour: HIGHLIGHT });
  }
  if (all.length === 0) legend.push({ label: 'no creates', colour: MUTED });
  const lx = MARGIN.left + plotW - 230;
  parts.push('<g class="legend">');
  // A light backing keeps the legend legible over lines that run under it.
  parts.push(
    `<rect x="${lx - 6}" y="${MARGIN.top + 2}" width="236" height="${legend.length * 16 + 6}" fill="#ffffff" fill-opacity="0.85"/>`,
  );
  legend.forEach((entry, i) => {
    const ly = MARGIN.top + 14 + i * 16;
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${entry.colour}" stroke-width="2"${entry.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 30}" y="${ly}">${escapeXml(entry.label)}</text>`,
    );
  });
  parts.push('</g>');
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
