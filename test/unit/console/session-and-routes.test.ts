import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route, sectionOf } from '../../../console/src/router.ts';
import { forgetKey, type KeyStorage, normaliseKey, readKey, SESSION_KEY, writeKey } from '../../../console/src/session.ts';

/**
 * Invariants: the API key lives in the tab's sessionStorage and nowhere else (no localStorage, cookie or
 * URL anywhere in the console's source); every page has one hash route that reads back as itself.
 */

const SRC = fileURLToPath(new URL('../../../console/src/', import.meta.url));

function memoryStorage(): KeyStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

describe('the API key', () => {
  it('is written, read and forgotten under one session key', () => {
    const storage = memoryStorage();
    expect(readKey(storage)).toBeNull();

    writeKey(storage, 'prk_abc');
    expect([...storage.items]).toEqual([[SESSION_KEY, 'prk_abc']]);
    expect(readKey(storage)).toBe('prk_abc');

    forgetKey(storage);
    expect(storage.items.size).toBe(0);
    expect(readKey(storage)).toBeNull();
  });

  it('loses surrounding whitespace and a pasted "Bearer " prefix', () => {
    expect(normaliseKey('  Bearer prk_abc \n')).toBe('prk_abc');
    expect(normaliseKey('prk_abc')).toBe('prk_abc');
  });

  it('is kept in sessionStorage only: the console never touches localStorage, cookies or puts it in a URL', async () => {
    const files = (await readdir(SRC, { recursive: true })).filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'));
    expect(files.length).toBeGreaterThan(10);
    // Code only: comments may name what the code avoids.
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    const sources = await Promise.all(files.map(async (f) => [f, code(await readFile(join(SRC, f), 'utf8'))] as const));
    const storageUsers = sources.filter(([, text]) => /sessionStorage/.test(text)).map(([f]) => f);

    for (const [file, text] of sources) {
      expect(text, file).not.toMatch(/localStorage|document\.cookie|indexedDB|[?&](api_?key|key|token)=/i);
    }
    expect(storageUsers).toEqual(['app.tsx']); // one place decides where the key goes
  });
});

describe('hash routes', () => {
  it.each([
    ['', { page: 'overview' }],
    ['#', { page: 'overview' }],
    ['#/', { page: 'overview' }],
    ['#/jobs', { page: 'jobs' }],
    ['#/jobs/', { page: 'jobs' }],
    ['#/jobs/job_0m4k7x2c9v1q8w3e5r6t7y8u9i', { page: 'job', jobId: 'job_0m4k7x2c9v1q8w3e5r6t7y8u9i' }],
    ['#/accounts', { page: 'accounts' }],
    ['#/webhooks', { page: 'webhooks' }],
    ['#/jobs/a/b', { page: 'not-found', path: '/jobs/a/b' }],
    ['#/jobs/%E0%A4%A', { page: 'not-found', path: '/jobs/%E0%A4%A' }],
    ['#/settings', { page: 'not-found', path: '/settings' }],
  ] as const)('%s is %j', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('read back as themselves, for any job id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (jobId) => {
        const route: Route = { page: 'job', jobId };
        expect(parseRoute(hrefOf(route))).toEqual(route);
      }),
    );
    for (const page of ['overview', 'jobs', 'accounts', 'webhooks'] as const) expect(parseRoute(hrefOf({ page }))).toEqual({ page });
  });

  it('mark Jobs as the current section on a job page', () => {
    expect(sectionOf({ page: 'job', jobId: 'job_1' })).toBe('jobs');
    expect(sectionOf({ page: 'not-found', path: '/x' })).toBeNull();
  });
});
