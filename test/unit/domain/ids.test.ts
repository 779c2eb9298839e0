import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bodyHash,
  canonicalJson,
  hashApiKey,
  JOB_ID_PATTERN,
  jobIdFor,
  newApiKey,
  newKeyId,
  newTenantId,
} from '../../../lambdas/domain/ids.ts';
import { OTHER_TENANT, TENANT } from '../builders.ts';

/** Independent oracle: first 128 bits of SHA-256(tenant NUL key), Crockford base32 (lower case), zero-padded to 130 bits. */
function referenceJobId(tenantId: string, key: string): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const hex = createHash('sha256').update(`${tenantId}\u0000${key}`).digest('hex').slice(0, 32);
  const bits = BigInt(`0x${hex}`) << 2n;
  let out = '';
  for (let i = 25; i >= 0; i--) out += alphabet[Number((bits >> BigInt(i * 5)) & 31n)];
  return `job_${out}`;
}

describe('jobIdFor', () => {
  it('is a pure function of (tenant, key) and stable across releases', () => {
    // Changing the derivation would silently break idempotency for every key already in the table.
    expect(jobIdFor(TENANT, 'cms-4411')).toBe('job_xbqkvxjc3ch5n6b030nvxbdtbc');
    expect(jobIdFor(TENANT, 'cms-4411')).toBe(jobIdFor(TENANT, 'cms-4411'));
  });

  it.each([
    [TENANT, 'cms-4411'],
    [OTHER_TENANT, 'cms-4411'],
    [TENANT, '~'],
    [TENANT, 'x'.repeat(255)],
  ])('matches the reference encoding and JOB_ID_PATTERN (%s, %s)', (tenant, key) => {
    const id = jobIdFor(tenant, key);
    expect(id).toBe(referenceJobId(tenant, key));
    expect(id).toMatch(JOB_ID_PATTERN);
  });

  it('differs per tenant, per key, and cannot be confused by moving characters across the boundary', () => {
    const ids = [
      jobIdFor(TENANT, 'cms-4411'),
      jobIdFor(OTHER_TENANT, 'cms-4411'),
      jobIdFor(TENANT, 'cms-4412'),
      jobIdFor('ab', 'c'),
      jobIdFor('a', 'bc'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('JOB_ID_PATTERN rejects near misses', () => {
    for (const bad of [
      'job_',
      `job_${'a'.repeat(25)}`,
      `job_${'a'.repeat(27)}`,
      `JOB_${'a'.repeat(26)}`,
      `job_${'A'.repeat(26)}`,
      `pin_${'a'.repeat(26)}`,
    ]) {
      expect(bad).not.toMatch(JOB_ID_PATTERN);
    }
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every nesting level', () => {
    const a = { b: 1, a: { d: [{ y: 1, x: { q: 2, p: 1 } }], c: null } };
    const b = { a: { c: null, d: [{ x: { p: 1, q: 2 }, y: 1 }] }, b: 1 };

    expect(canonicalJson(a)).toBe('{"a":{"c":null,"d":[{"x":{"p":1,"q":2},"y":1}]},"b":1}');
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('keeps array order', () => {
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('drops undefined properties (as JSON does) but keeps null', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('escapes keys and strings like JSON.stringify', () => {
    const value = { 'k"\u0000': 'line\nbreak 😀', é: true };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it.each([[null], [true], [0], [-1.5], ['s'], [[]], [{}]])('scalars and empties round-trip: %j', (value) => {
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });
});

describe('bodyHash', () => {
  const body = { account_id: 'acme-main', board_id: '1', media_source: { source_type: 'image_url', url: 'https://e.com/a.jpg' } };

  it('is equal for the same body in another key order', () => {
    const reordered = { media_source: { url: 'https://e.com/a.jpg', source_type: 'image_url' }, board_id: '1', account_id: 'acme-main' };
    expect(bodyHash(reordered)).toBe(bodyHash(body));
    expect(bodyHash(body)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when any value differs, however deep', () => {
    expect(bodyHash({ ...body, media_source: { ...body.media_source, url: 'https://e.com/b.jpg' } })).not.toBe(bodyHash(body));
    expect(bodyHash({ ...body, title: 'x' })).not.toBe(bodyHash(body));
  });
});

describe('API keys and ids', () => {
  it('hashApiKey is lower-case hex SHA-256 of the UTF-8 key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('prk_é')).toBe(createHash('sha256').update(Buffer.from('prk_é', 'utf8')).digest('hex'));
  });

  it('newApiKey carries 256 random bits behind the prk_ prefix', () => {
    const keys = Array.from({ length: 200 }, newApiKey);

    for (const key of keys) expect(key).toMatch(/^prk_[A-Za-z0-9_-]{43}$/);
    expect(new Set(keys).size).toBe(keys.length);
    expect(Buffer.from(keys[0]!.slice(4), 'base64url')).toHaveLength(32);
  });

  it.each([
    ['newTenantId', newTenantId, /^ten_[0-9a-hjkmnp-tv-z]{16}$/],
    ['newKeyId', newKeyId, /^key_[0-9a-hjkmnp-tv-z]{16}$/],
  ])('%s is prefixed, Crockford base32 and distinct', (_name, make, pattern) => {
    const ids = Array.from({ length: 200 }, () => make());
    for (const id of ids) expect(id).toMatch(pattern);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
