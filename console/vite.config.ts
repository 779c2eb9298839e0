import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operator console: a static bundle served under /console/ (local mode, or the deployed stack), calling
 * the public API at /v1 on the same origin. `base: './'` makes every asset URL relative to index.html, so
 * the same build works at any path. `npm run console:dev` serves it on 127.0.0.1:5173 with /v1 proxied to
 * `npm start` (CONSOLE_API_URL, default http://127.0.0.1:3000).
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // Preact's automatic JSX runtime: no React, no Babel.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline modulepreload polyfill: the page must run under a CSP without 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    // `npm start` listens on 127.0.0.1:3000 unless PORT says otherwise.
    proxy: { '/v1': { target: process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
});
