import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { waitFor } from '../integration/wait.ts';

/**
 * The browser tier's browser: Debian's chromium driven by playwright-core (no downloaded browser), headless,
 * without the sandbox (CI containers run as root) and without anything that calls out of the machine.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the screenshots the README embeds are written (docs/screenshots/<page>.png). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** The desktop viewport of every screenshot, and the phone one. */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 740 } as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    chromiumSandbox: false,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** Saves the page as docs/screenshots/<name>.png (the viewport, not the full page: what a person sees first). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, animations: 'disabled', caret: 'hide' });
}

/** Waits until the locator's element is visible (the UI contract names what the test looks for). */
export async function shown(locator: Locator, timeoutMs = 15_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout: timeoutMs });
  return locator;
}

/**
 * The element's text as the page renders it (block and cell boundaries become white space), runs of white space
 * as one space: "succeeded 3" reads the same whether the markup is one span or a term and its value.
 */
export async function renderedText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText (the rendered text) is the point here
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** Waits until the rendered text of the locator's first element satisfies `until` and returns it. */
export function textOf(locator: Locator, what: string, until: (text: string) => boolean, timeoutMs = 30_000): Promise<string> {
  return waitFor(async () => ((await locator.count()) > 0 ? renderedText(locator.first()) : ''), {
    what,
    until,
    timeoutMs,
    everyMs: 200,
  });
}
