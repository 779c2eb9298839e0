/**
 * How the web console (console/, a static Vite build) is served, wherever it is served: local mode's API server
 * (local/console-assets.ts) and the deployed stack's CloudFront distribution (lib/constructs/web-console.ts)
 * send the same path, cache rules and security headers (docs/adr/0015-web-console.md).
 */

/** The console's path on the API's origin: `<origin>/console/`. The API stays at `<origin>/v1/…`. */
export const CONSOLE_PATH = '/console';

/** The build's folder of content-hashed files (Vite's `assets/`): a changed file gets a new name. */
export const CONSOLE_HASHED_DIR = 'assets';

/** Cache-Control of the hashed files: for a year, never revalidated. */
export const CONSOLE_IMMUTABLE = 'public, max-age=31536000, immutable';

/** Cache-Control of index.html and every other unhashed file: revalidated on every load (a deploy shows at once). */
export const CONSOLE_REVALIDATE = 'no-cache';

/**
 * The Content-Security-Policy of every console answer: this origin only (the API is same-origin), no inline
 * script or style, no eval, no plugins, never framed; images may also be `data:` URLs (the favicon).
 */
export const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The headers every console answer carries next to its Content-Type and Cache-Control. */
export const CONSOLE_SECURITY_HEADERS = {
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;
