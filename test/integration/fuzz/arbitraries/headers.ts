import fc from 'fast-check';
import { TENANTS, type TenantName } from '../world.ts';

/**
 * Who calls and with which headers, as symbols the fuzz world turns into real keys at send time
 * (materialize.ts): so a shrunk counterexample reads "tenant B's key, twice" rather than a random key.
 */

/** The Authorization header(s) of a request. */
export type CallerSpec =
  | { readonly kind: 'tenant'; readonly tenant: TenantName; readonly form: KeyForm }
  /** Two Authorization headers (API Gateway's multiValueHeaders), one key of each tenant. */
  | { readonly kind: 'both'; readonly first: TenantName }
  | { readonly kind: 'revoked' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'none' }
  /** A malformed header: no key, another scheme, a key with a piece missing, a huge one. */
  | { readonly kind: 'malformed'; readonly value: string };

/** Spellings of a valid key that the authorizer accepts (the scheme is case-insensitive, spaces around are not part of it). */
export const KEY_FORMS = ['Bearer K', 'bearer K', 'BEARER   K', 'Bearer K ', 'Bearer\tK'] as const;
export type KeyForm = (typeof KEY_FORMS)[number];

const tenant = fc.constantFrom(...TENANTS);

const malformedAuthorization = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'Bearer',
    'Bearer ',
    'Bearer  ',
    'Basic dXNlcjpwYXNzd29yZA==',
    'Token prk_abc',
    'prk_abc',
    'Bearer prk_a prk_b',
    'Bearer "prk_abc"',
    'Bearer null',
    'Bearer undefined',
    'Bearer \u00e9t\u00e9',
    'Bearer prk_%00',
  ),
  fc.integer({ min: 513, max: 8_000 }).map((n) => `Bearer prk_${'k'.repeat(n)}`),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => `Bearer ${s.replace(/[\r\n\0]/g, '')}`),
);

export const caller: fc.Arbitrary<CallerSpec> = fc.oneof(
  { weight: 14, arbitrary: fc.record({ kind: fc.constant('tenant' as const), tenant, form: fc.constant<KeyForm>('Bearer K') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tenant' as const), tenant, form: fc.constantFrom(...KEY_FORMS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('both' as const), first: tenant }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'revoked' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unknown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('malformed' as const), value: malformedAuthorization }) },
);

/** The Content-Type header(s): JSON in its accepted spellings, other types and charsets, none, two. */
export const contentType: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(['application/json']) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'application/json; charset=utf-8',
        'application/json;charset=UTF-8',
        'application/json; charset="utf-8"',
        'APPLICATION/JSON',
        'application/vnd.api+json',
        'application/problem+json; charset=utf8',
      )
      .map((v) => [v]),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'application/json; charset=',
        'json',
        '',
        '*/*',
        'application/xml',
      )
      .map((v) => [v]),
  },
  { weight: 1, arbitrary: fc.constant([]) },
  { weight: 1, arbitrary: fc.constant(['application/json', 'text/plain']) },
);

/** The Idempotency-Key header(s). */
export type IdempotencySpec =
  | { readonly kind: 'fresh' }
  /** The key this property sent last, with another body: a reuse. */
  | { readonly kind: 'previous' }
  /** The key and the body this property sent last: a replay. */
  | { readonly kind: 'replay' }
  /** A key one of the world's tenants used for one of its jobs. */
  | { readonly kind: 'world'; readonly tenant: TenantName }
  | { readonly kind: 'none' }
  | { readonly kind: 'twice' }
  | { readonly kind: 'raw'; readonly value: string };

export const idempotencyKey: fc.Arbitrary<IdempotencySpec> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'fresh' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'previous' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'replay' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('world' as const), tenant }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'twice' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      value: fc.oneof(
        fc.constantFrom('', ' ', 'a b', '\t', 'caf\u00e9', '\u007f', 'x'.repeat(256)),
        fc.integer({ min: 256, max: 2_000 }).map((n) => 'k'.repeat(n)),
        fc.stringMatching(/^[\x21-\x7E]{1,40}$/),
      ),
    }),
  },
);

/** Headers nobody asked for: ones a careless handler might trust (a tenant id), and noise. */
export const extraHeaders: fc.Arbitrary<ReadonlyArray<readonly [string, string | { readonly tenantIdOf: TenantName }]>> = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom('X-Tenant-Id', 'X-Forwarded-For', 'X-Amzn-Trace-Id', 'Accept', 'X-Api-Key'), fc.string({ maxLength: 20 })),
    fc.tuple(fc.constantFrom('X-Tenant-Id', 'tenant_id'), fc.record({ tenantIdOf: tenant })),
    fc.tuple(fc.constantFrom('Accept-Charset', 'Accept-Encoding', 'Prefer'), fc.constantFrom('utf-16', 'gzip', 'return=minimal', '')),
  ),
  { maxLength: 2 },
);
