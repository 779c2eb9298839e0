import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_LOAD_BUDGET_BYTES, type FirstLoad, firstLoad } from '../../../console/tools/bundle-size.ts';

/**
 * Invariants of the console's production build, built once here from source (about 1–3 s) into a temporary
 * directory so it holds from a clean clone: the first load (index.html and every script and stylesheet it
 * pulls in) stays within 150 KB gzipped, and the page runs under a strict Content-Security-Policy — no
 * inline script or style, nothing fetched from another origin, asset URLs relative so it works under any path.
 */

const CONFIG = fileURLToPath(new URL('../../../console/vite.config.ts', import.meta.url));

describe('the console build', () => {
  let dist: string;
  let load: FirstLoad;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'pinrelay-console-'));
    await build({ configFile: CONFIG, logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
    load = await firstLoad(dist);
  }, 120_000);
  afterAll(() => rm(dist, { recursive: true, force: true }));

  it(`loads at most ${FIRST_LOAD_BUDGET_BYTES / 1024} KB gzipped at first (HTML + JS + CSS)`, () => {
    expect(load.files.map((f) => f.file)).toEqual(
      expect.arrayContaining(['index.html', expect.stringMatching(/\.js$/), expect.stringMatching(/\.css$/)]),
    );
    expect(load.gzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
  });

  it('needs no inline script or style and nothing from another origin, with relative asset URLs', async () => {
    const html = await readFile(join(dist, 'index.html'), 'utf8');

    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i); // every script has a src
    expect(html).not.toMatch(/<style|\sstyle=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toMatch(/<script type="module" crossorigin src="\.\/assets\/[^"]+\.js"><\/script>/);
    for (const file of load.files.filter((f) => f.file.endsWith('.css'))) {
      expect(await readFile(join(dist, file.file), 'utf8')).not.toMatch(/@import|url\((["']?)(https?:)?\/\//i);
    }
  });
});

describe('firstLoad', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pinrelay-first-load-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(
      join(dir, 'index.html'),
      '<script type="module" src="./assets/a.js"></script><link rel="stylesheet" href="./assets/a.css">',
    );
    await writeFile(join(dir, 'assets/a.js'), 'import "./b.js"; console.log(1);');
    await writeFile(join(dir, 'assets/b.js'), 'export const b = 1;');
    await writeFile(join(dir, 'assets/a.css'), 'body{background:url(./bg.png)}');
    await writeFile(join(dir, 'assets/bg.png'), Buffer.alloc(2048, 1));
    await writeFile(join(dir, 'assets/lazy.js'), 'x'.repeat(500_000)); // never referenced: not part of the first load
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts the page and everything it pulls in, transitively, and nothing else', async () => {
    const result = await firstLoad(dir);

    expect(result.files.map((f) => f.file).sort()).toEqual(['assets/a.css', 'assets/a.js', 'assets/b.js', 'assets/bg.png', 'index.html']);
    expect(result.gzipBytes).toBe(result.files.reduce((n, f) => n + f.gzipBytes, 0));
  });

  it('refuses a directory without index.html', async () => {
    await expect(firstLoad(join(dir, 'assets'))).rejects.toThrow(/no index.html/);
  });
});
