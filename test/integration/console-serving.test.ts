import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBuildState } from '../../local/console-build.ts';
import { startLocalApi, type LocalApi } from '../../local/http-api.ts';

/**
 * Local mode serves the web console's build at /console/ from the API's own server (local/console-assets.ts):
 * the build's files with their content types, cache rules and CSP, and nothing else — no file outside the
 * build directory, however the path is spelled. The requests are sent byte for byte (node:http keeps the
 * path as given), so no client normalises `..` away before the server sees it.
 */
const scratch = mkdtempSync(join(tmpdir(), 'pinrelay-console-'));
const dist = join(scratch, 'dist');
const SECRET = 'TOP-SECRET-NEXT-TO-THE-BUILD';
const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-Bx9f2a.js"></script></head></html>';
let api: LocalApi;
let bare: LocalApi;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with the path exactly as written. */
function raw(base: LocalApi, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  const { hostname, port } = new URL(base.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(scratch, 'secret.txt'), SECRET);
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-Bx9f2a.js'), 'console.log("console")');
  writeFileSync(join(dist, 'assets', 'index-Cq81zz.css'), 'body{margin:0}');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.env'), SECRET);
  symlinkSync(join(scratch, 'secret.txt'), join(dist, 'linked.txt'));
  const limits = { authorizerCacheSeconds: 0, tenantLimits: false } as const;
  api = await startLocalApi({ host: '127.0.0.1', port: 0, limits, consoleDir: dist });
  bare = await startLocalApi({ host: '127.0.0.1', port: 0, limits });
});

afterAll(async () => {
  await Promise.allSettled([api?.stop(), bare?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('local mode serves the console build at /console/ (local/console-assets.ts)', () => {
  it('answers index.html at /console/ as HTML, revalidated on every load, with a same-origin-only CSP', async () => {
    const answer = await raw(api, '/console/');

    expect(answer.status).toBe(200);
    expect(answer.body).toBe(INDEX);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    const csp = String(answer.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
  });

  it('redirects /console to /console/ (relative asset URLs resolve under it)', async () => {
    const answer = await raw(api, '/console');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe('/console/');
  });

  it.each([
    ['/console/assets/index-Bx9f2a.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/console/assets/index-Cq81zz.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
    ['/console/favicon.svg', 'image/svg+xml', 'no-cache'],
  ])('serves %s as %s, cached as "%s" (hashed assets for ever, the rest revalidated)', async (path, type, cache) => {
    const answer = await raw(api, path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.headers['cache-control']).toBe(cache);
    expect(answer.headers['content-security-policy']).toBeDefined();
  });

  it('answers a HEAD without a body and a matching If-None-Match with 304', async () => {
    const head = await raw(api, '/console/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(INDEX.length));

    const again = await raw(api, '/console/', 'GET', { 'If-None-Match': String(head.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers 404 for a file the build does not have, and 405 for a write', async () => {
    expect((await raw(api, '/console/assets/nope-123.js')).status).toBe(404);
    expect((await raw(api, '/console/jobs')).status).toBe(404);
    const post = await raw(api, '/console/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  // Every spelling of "one directory up" and of a hidden or linked file: none may answer a file outside dist.
  it.each([
    '/console/../secret.txt',
    '/console/../../package.json',
    '/console/%2e%2e/secret.txt',
    '/console/%2E%2E/secret.txt',
    '/console/.%2e/secret.txt',
    '/console/..%2fsecret.txt',
    '/console/..%2Fsecret.txt',
    '/console/%2e%2e%2fsecret.txt',
    '/console/assets/..%2f..%2fsecret.txt',
    '/console/..%5csecret.txt',
    '/console/..\\secret.txt',
    '/console/%252e%252e/secret.txt',
    '/console/..%00/secret.txt',
    '/console//secret.txt',
    '/console/.env',
    '/console/%2eenv',
    '/console/linked.txt',
    '/console/%zz',
  ])('does not escape the build directory: %s', async (path) => {
    const answer = await raw(api, path);

    expect(answer.status).not.toBe(200);
    expect(answer.body).not.toContain(SECRET);
    expect(answer.body).not.toContain('"name": "pinrelay"');
  });

  it('leaves the API where it was: /v1 routes answer as before next to the console', async () => {
    const openapi = await raw(api, '/v1/openapi.json');
    expect(openapi.status).toBe(200);
    expect(openapi.headers['content-type']).toContain('application/json');
    expect((await raw(api, '/v1/jobs')).status).toBe(401);
  });

  it('serves no console without a build directory (the API answers the path as an unknown route)', async () => {
    const answer = await raw(bare, '/console/');
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('"error"');
  });

  it('says how to build the console when the directory has no index.html', async () => {
    const empty = await startLocalApi({
      host: '127.0.0.1',
      port: 0,
      limits: { authorizerCacheSeconds: 0, tenantLimits: false },
      consoleDir: join(scratch, 'not-built'),
    });
    try {
      const answer = await raw(empty, '/console/');
      expect(answer.status).toBe(503);
      expect(answer.body).toContain('npm run console:build');
    } finally {
      await empty.stop();
    }
  });
});

describe('the console build is redone when missing or older than its source (local/console-build.ts)', () => {
  it('tells no source, a missing build, a stale build and a fresh one apart', () => {
    const root = mkdtempSync(join(tmpdir(), 'pinrelay-console-src-'));
    try {
      expect(consoleBuildState(root)).toBe('no-source');
      mkdirSync(join(root, 'src', 'pages'), { recursive: true });
      writeFileSync(join(root, 'src', 'pages', 'jobs.tsx'), 'export {}');
      expect(consoleBuildState(root)).toBe('missing');

      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'dist', 'index.html'), INDEX);
      const past = new Date(Date.now() - 60_000);
      utimesSync(join(root, 'src', 'pages', 'jobs.tsx'), past, past);
      expect(consoleBuildState(root)).toBe('fresh');

      // A source file edited after the build, deep in the tree.
      const later = new Date(Date.now() + 60_000);
      utimesSync(join(root, 'src', 'pages', 'jobs.tsx'), later, later);
      expect(consoleBuildState(root)).toBe('stale');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
