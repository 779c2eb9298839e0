import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import {
  CONSOLE_HASHED_DIR,
  CONSOLE_IMMUTABLE,
  CONSOLE_PATH,
  CONSOLE_REVALIDATE,
  CONSOLE_SECURITY_HEADERS,
} from '../definitions/console.ts';

/**
 * Serves the built web console (`console/dist`, a Vite build) at `/console/` from local mode's API server, so
 * the page and the API share one origin (docs/adr/0015-web-console.md) — the same shape the deployed stack
 * gives it behind CloudFront:
 * - `GET`/`HEAD` only; `/console` redirects to `/console/`, which is `index.html`;
 * - the files of the build and nothing else: a path segment that is `.`/`..` or hides a separator once
 *   percent-decoded, a dot-file, or a file whose real path (symlinks followed) leaves the directory is a 404;
 * - `index.html` and other unhashed files `Cache-Control: no-cache` (revalidated by ETag), Vite's hashed files
 *   under `assets/` a year and `immutable`;
 * - a Content-Security-Policy allowing only this origin (no inline script or style, no eval, no framing), as
 *   the CloudFront response headers policy does (both from definitions/console.ts).
 */

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Whether a request path is the console's (and so never an API route). */
export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * The file a console path names, relative to the build directory, or null when it names none that may be
 * served: the path after `/console/` is split on `/`, each segment percent-decoded, and refused when it is
 * empty (`//`), `.`/`..`, a dot-file, or holds `/`, `\` or NUL once decoded. `''` (the directory) is `index.html`.
 */
export function consoleFileOf(pathname: string): string | null {
  const rest = pathname.slice(CONSOLE_PATH.length + 1);
  if (rest === '') return 'index.html';
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return null;
    segments.push(segment);
  }
  return segments.join('/');
}

/** `assets/` holds Vite's content-hashed files: a changed file gets a new name, so the old one may be cached for ever. */
export function cacheControlFor(file: string): string {
  return file.startsWith(`${CONSOLE_HASHED_DIR}/`) ? CONSOLE_IMMUTABLE : CONSOLE_REVALIDATE;
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...CONSOLE_SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': CONSOLE_REVALIDATE,
    ...extra,
  });
  res.end(text);
}

/** The real path of `file` under `root` when it is a regular file there (symlinks resolved), else null. */
async function resolveInside(root: string, file: string): Promise<{ path: string; size: number; mtimeMs: number } | null> {
  try {
    const realRoot = await realpath(root);
    const real = await realpath(join(realRoot, file));
    if (!real.startsWith(realRoot + sep)) return null;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** Answers one request for a console path (isConsolePath) from the build directory `dir`. */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, pathname: string, dir: string): Promise<void> {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
  if (pathname === CONSOLE_PATH) {
    res.writeHead(301, { ...CONSOLE_SECURITY_HEADERS, Location: `${CONSOLE_PATH}/`, 'Cache-Control': CONSOLE_REVALIDATE });
    res.end();
    return;
  }
  const file = consoleFileOf(pathname);
  const found = file === null ? null : await resolveInside(dir, file);
  if (file === null || !found) {
    if (file === 'index.html') return sendText(res, 503, 'The console is not built: run npm run console:build, then reload.\n');
    return sendText(res, 404, 'Not found\n');
  }
  const etag = `"${found.size.toString(16)}-${Math.floor(found.mtimeMs).toString(16)}"`;
  const headers = {
    ...CONSOLE_SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Cache-Control': cacheControlFor(file),
    ETag: etag,
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': String(found.size) });
  if (method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(found.path);
    stream.once('error', reject);
    res.once('close', resolve);
    stream.pipe(res);
  });
}
