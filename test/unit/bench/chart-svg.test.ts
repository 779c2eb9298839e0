import { describe, expect, it } from 'vitest';
import { escapeXml, niceCeil, renderRateChart, sampleRate } from '../../../bench/chart-svg.ts';

/**
 * The publish-rate chart of `npm run bench` (bench/chart-svg.ts) is embedded in docs/benchmarks.md: it
 * must be well-formed SVG, show the limit as a dashed line where the limit is, draw one line per account
 * at the rate that account really had, escape whatever an account name or title holds, and come out the
 * same for the same input (a committed chart must not churn).
 */

/** Well-formedness without a DOM: every tag closed in order, attributes quoted, one root element. */
function assertWellFormed(xml: string): void {
  const body = xml.trim();
  expect(body.startsWith('<svg ')).toBe(true);
  const stack: string[] = [];
  let roots = 0;
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) expect(stack.pop()).toBe(name);
    else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name as string);
    }
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  // No markup the pattern above did not account for: every `<` starts a tag it matched.
  const tags = body.match(/<[^>]*>/g) ?? [];
  expect(tags.length).toBe([...body.matchAll(/</g)].length);
  for (const tag of tags) expect(tag).toMatch(/^<\/?[A-Za-z][\w:-]*(?:\s+[\w:-]+="[^"<]*")*\s*\/?>$/);
}

const minute = 60_000;
const steady = (start: number, perMinute: number, minutes: number) =>
  Array.from({ length: perMinute * minutes }, (_, i) => start + Math.round((i * minute) / perMinute));

describe('sampled rate', () => {
  it('counts the creates in the window ending at each sample, scaled to a minute', () => {
    // 3 creates at 0, 10 s and 20 s; a 60 s window sampled every 30 s.
    expect(sampleRate([0, 10_000, 20_000], 0, 90_000, minute, 30_000)).toEqual([1, 3, 2, 0]);
    // A 30 s window doubles the count into creates per minute.
    expect(sampleRate([0, 10_000], 0, 30_000, 30_000, 30_000)).toEqual([2, 2]);
  });

  it('rounds axis maxima up to 1, 2, 2.5 or 5 × a power of ten', () => {
    expect(niceCeil(69)).toBe(100);
    expect(niceCeil(46)).toBe(50);
    expect(niceCeil(2.1)).toBe(2.5);
    expect(niceCeil(0)).toBe(1);
  });
});

describe('renderRateChart', () => {
  const input = {
    title: 'Publish rate per account',
    limitPerMinute: 60,
    series: [
      { account: 'acct-a', createdAtMs: steady(1_000_000, 60, 3) },
      { account: 'acct-b', createdAtMs: steady(1_000_000, 30, 3) },
    ],
  };

  it('is well-formed SVG with labelled axes and a title', () => {
    const svg = renderRateChart(input);
    assertWellFormed(svg);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('class="x-axis"');
    expect(svg).toContain('class="y-axis"');
    expect(svg).toMatch(/class="x-label"[^>]*>time since the first create \(minutes\)</);
    expect(svg).toMatch(/class="y-label"[^>]*>creates per rolling 60 s, per minute</);
    expect(svg).toContain('<title>Publish rate per account</title>');
  });

  it('draws the limit as a dashed horizontal line at the limit', () => {
    const svg = renderRateChart(input);
    const limit = /<line class="limit" x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="([\d.]+)"[^>]*stroke-dasharray="6 4"/.exec(svg);
    expect(limit).not.toBeNull();
    expect(limit?.[1]).toBe(limit?.[2]);
    // The y axis runs to 100 (60 × 1.15 rounded up): 60/min sits 60 % of the plot height above the x axis.
    const xAxisY = Number(/class="x-axis" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)?.[1]);
    const plotHeight = xAxisY - 40;
    expect(Number(limit?.[1])).toBeCloseTo(xAxisY - 0.6 * plotHeight, 0);
    expect(svg).toContain('limit 60/min');
  });

  it('draws one line per account at that account’s rate', () => {
    const svg = renderRateChart(input);
    const lines = [...svg.matchAll(/<polyline class="account" data-account="([^"]+)"[^>]*points="([^"]+)"/g)];
    expect(lines.map((l) => l[1])).toEqual(['acct-a', 'acct-b']);
    const xAxisY = Number(/class="x-axis" x1="[\d.]+" y1="([\d.]+)"/.exec(svg)?.[1]);
    const peakY = (points: string) => Math.min(...points.split(' ').map((p) => Number(p.split(',')[1])));
    const heightOf = (points: string) => (xAxisY - peakY(points)) / (xAxisY - 40);
    // 60/min and 30/min on an axis to 100: the lines peak at 60 % and 30 % of the plot height.
    expect(heightOf(lines[0]?.[2] as string)).toBeCloseTo(0.6, 2);
    expect(heightOf(lines[1]?.[2] as string)).toBeCloseTo(0.3, 2);
    expect(svg).toContain('>acct-a</text>');
  });

  it('keeps 20 accounts readable: muted lines, the highest peak highlighted and named', () => {
    const series = Array.from({ length: 20 }, (_, i) => ({ account: `acct-${i}`, createdAtMs: steady(0, i === 13 ? 58 : 40, 2) }));
    const svg = renderRateChart({ title: 't', limitPerMinute: 60, series });
    assertWellFormed(svg);
    const lines = [...svg.matchAll(/<polyline class="account" data-account="([^"]+)" stroke="([^"]+)"/g)];
    expect(lines).toHaveLength(20);
    const highlighted = lines.filter((l) => l[2] !== '#9aa5b1');
    expect(highlighted.map((l) => l[1])).toEqual(['acct-13']);
    expect(lines.at(-1)?.[1]).toBe('acct-13'); // drawn last, on top
    expect(svg).toContain('highest peak: acct-13 (58/min)');
    expect(svg).toContain('20 accounts, one line each');
  });

  it('escapes account names and the title', () => {
    const svg = renderRateChart({
      title: 'a <b> & "c"',
      limitPerMinute: 10,
      series: [{ account: `x"><script>alert('1')</script>`, createdAtMs: [0] }],
    });
    assertWellFormed(svg);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('x&quot;&gt;&lt;script&gt;alert(&apos;1&apos;)&lt;/script&gt;');
    expect(escapeXml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&apos;');
  });

  it('gives the same bytes for the same input, whatever the order of the timestamps', () => {
    const shuffled = { ...input, series: input.series.map((s) => ({ ...s, createdAtMs: [...s.createdAtMs].reverse() })) };
    expect(renderRateChart(shuffled)).toBe(renderRateChart(input));
  });

  it('still draws axes and the limit without any create', () => {
    const svg = renderRateChart({ title: 'empty', limitPerMinute: 60, series: [] });
    assertWellFormed(svg);
    expect(svg).toContain('class="limit"');
    expect(svg).toContain('no creates');
    expect(svg).not.toContain('NaN');
  });
});
