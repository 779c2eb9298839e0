import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

/**
 * Invariant: every text colour the console uses is readable on the background it is used on: WCAG 2.x
 * contrast ratio ≥ 4.5:1 for text, ≥ 3:1 for the focus ring and field borders. The colours are read from
 * the stylesheet's custom properties, so a palette change is checked here.
 */

const CSS = await readFile(new URL('../../../console/src/styles.css', import.meta.url), 'utf8');
const palette = Object.fromEntries([...CSS.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-f]{3,6})\s*;/gi)].map((m) => [m[1]!, m[2]!]));

function luminance(hex: string): number {
  const full = hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const color = (name: string) => {
  const value = palette[name];
  if (!value) throw new Error(`styles.css has no --${name}`);
  return value;
};

describe('console colours', () => {
  it('computes contrast as WCAG does', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#777', '#fff')).toBeCloseTo(4.48, 2);
  });

  it.each([
    ['text', 'bg'],
    ['text', 'panel'],
    ['muted', 'bg'],
    ['muted', 'panel'],
    ['accent', 'bg'],
    ['accent', 'panel'],
    ['accent-text', 'accent'],
    ['accent-text', 'error'],
    ['error', 'bg'],
    ['error', 'error-bg'],
    ['warn', 'warn-bg'],
    ['text', 'warn-bg'],
    ['ok', 'ok-bg'],
    ['ok', 'bg'],
    ['text', 'info-bg'],
    ['text', 'error-bg'],
    ['axis', 'bg'],
  ])('text --%s on --%s is at least 4.5:1', (fg, bg) => {
    expect(contrast(color(fg), color(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it('the focus ring, field borders and chart lines are at least 3:1 against the page', () => {
    expect(contrast(color('series-1'), color('bg'))).toBeGreaterThanOrEqual(3);
    expect(contrast(color('series-2'), color('bg'))).toBeGreaterThanOrEqual(3);
    expect(contrast(color('focus'), color('bg'))).toBeGreaterThanOrEqual(3);
    expect(contrast(color('focus'), color('panel'))).toBeGreaterThanOrEqual(3);
    const border = /input,\s*select,\s*textarea\s*\{[^}]*border:\s*1px solid (#[0-9a-f]{6})/i.exec(CSS)?.[1];
    expect(border).toBeDefined();
    expect(contrast(border!, color('bg'))).toBeGreaterThanOrEqual(3);
  });
});
