import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * The console's first load: index.html and every script and stylesheet it pulls in (Vite emits one entry
 * chunk, its CSS and any chunks they import), gzipped as a server or CDN sends them. The budget is 150 KB.
 * `npm run console:build` prints it; test/unit/console/bundle-size.test.ts fails a build above it.
 */

export const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;
export const CONSOLE_DIST = fileURLToPath(new URL('../dist/', import.meta.url));

export interface LoadedFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface FirstLoad {
  readonly files: readonly LoadedFile[];
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Files a page or stylesheet references by relative URL (src=, href=, import "…", url(…)) that exist in dist. */
function referencesIn(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:src|href)="(\.?\/?assets\/[^"]+)"|["'(](\.\.?\/[^"')]+\.(?:js|css))["')]|url\(([^)]+)\)/g)) {
    const ref = (match[1] ?? match[2] ?? match[3] ?? '').replace(/^["']|["']$/g, '');
    if (ref && !/^(data:|https?:|\/\/)/.test(ref)) found.add(ref);
  }
  return [...found];
}

export async function firstLoad(dist: string = CONSOLE_DIST): Promise<FirstLoad> {
  const all = new Set((await readdir(dist, { recursive: true })).map((f) => join(dist, f)));
  const seen = new Map<string, LoadedFile>();
  const visit = async (file: string): Promise<void> => {
    if (seen.has(file) || !all.has(file)) return;
    const content = await readFile(file);
    seen.set(file, { file: relative(dist, file), bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length });
    if (!/\.(html|js|css)$/.test(file)) return;
    const base = file.endsWith('.html') ? dist : join(file, '..');
    for (const ref of referencesIn(content.toString('utf8'))) await visit(join(base, ref.split(/[?#]/)[0] ?? ''));
  };
  await visit(join(dist, 'index.html'));
  if (!seen.has(join(dist, 'index.html'))) throw new Error(`no index.html in ${dist}: run npm run console:build`);
  const files = [...seen.values()];
  return { files, bytes: files.reduce((n, f) => n + f.bytes, 0), gzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0) };
}

export function describeFirstLoad(load: FirstLoad): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const lines = load.files.map((f) => `  ${f.file.padEnd(40)} ${kb(f.bytes).padStart(10)}  gzip ${kb(f.gzipBytes).padStart(9)}`);
  return [
    'Console first load (index.html + the scripts and styles it loads):',
    ...lines,
    `  total ${kb(load.bytes)}, gzip ${kb(load.gzipBytes)} of the ${kb(FIRST_LOAD_BUDGET_BYTES)} budget`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const load = await firstLoad();
  console.log(describeFirstLoad(load));
  if (load.gzipBytes > FIRST_LOAD_BUDGET_BYTES) {
    console.error('The console is over its first-load budget.');
    process.exitCode = 1;
  }
}
