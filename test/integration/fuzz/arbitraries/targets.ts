import fc from 'fast-check';
import { nastyText } from './json.ts';

/**
 * What a request names: the id in its path and its query string, as symbols resolved against the world
 * at send time ("the other tenant's second job", "this tenant's cursor with an empty sort key").
 */

export type IdSpec =
  /** One of the caller's own real objects (the n-th, modulo how many there are). */
  | { readonly kind: 'own'; readonly n: number }
  /** One of the other tenant's real objects. */
  | { readonly kind: 'foreign'; readonly n: number }
  /** Well-formed, and nobody's. */
  | { readonly kind: 'absent' }
  /** The other tenant's real id with something around it (`../`, a suffix, a case change). */
  | { readonly kind: 'foreign-variant'; readonly n: number; readonly variant: 'upper' | 'suffix' | 'dotdot' | 'encoded-slash' }
  /** Anything: sent percent-encoded, or verbatim (`/`, `..` and `%` sequences reach the wire as written). */
  | { readonly kind: 'text'; readonly text: string; readonly verbatim: boolean };

const hostileSegment = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '../..',
    'a/b',
    '%2F',
    '%2f..%2f',
    '..%2F..%2Fwebhooks',
    '%2e%2e',
    '%00',
    '%ED%A0%80',
    '%C0%AF',
    '%zz',
    '%',
    '*',
    '?x=1',
    '#frag',
    ';a=b',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    "' OR '1'='1",
    'job_00000000000000000000000000',
    'JOB_00000000000000000000000000',
    'whk_00000000000000000000',
    'whk_0000000000000000000000000',
  ),
  fc.integer({ min: 65, max: 3_000 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(/^[a-z0-9._-]{1,70}$/),
);

export const id: fc.Arbitrary<IdSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('own' as const), n: fc.nat(20) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('foreign' as const), n: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('foreign-variant' as const),
      n: fc.nat(20),
      variant: fc.constantFrom('upper' as const, 'suffix' as const, 'dotdot' as const, 'encoded-slash' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'absent' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), text: hostileSegment, verbatim: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: nastyText, verbatim: fc.constant(false) }) },
);

/**
 * A value in a query string: literal text, or one of the world's listing cursors, possibly tampered with.
 * `resume` stands for a whole listing resumed: its filters and its cursor (under the name `cursor`).
 */
export type QueryValue =
  | string
  | { readonly resume: 'own' | 'foreign'; readonly n: number; readonly tamper?: CursorTamper }
  | { readonly cursor: 'own' | 'foreign'; readonly n: number; readonly tamper?: CursorTamper }
  | { readonly ownAccount: number }
  | { readonly foreignAccount: true };

/** Ways to forge a cursor from a real one (it is base64url JSON of the index key). */
export type CursorTamper =
  | { readonly field: 'sort' | 'table' | 'partition'; readonly value: unknown }
  | { readonly field: 'extra' }
  | { readonly field: 'drop' }
  | { readonly field: 'swap-tenant' }
  | { readonly field: 'truncate'; readonly at: number }
  | { readonly field: 'padding' };

/** Forgeries that keep the cursor's shape (so it passes the first checks) with a key DynamoDB cannot take, first. */
const tamper: fc.Arbitrary<CursorTamper> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      field: fc.constantFrom('sort' as const, 'sort' as const, 'sort' as const, 'table' as const, 'partition' as const),
      value: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom<unknown>('', 'x'.repeat(1_100), `2026-01-01T00:00:00.000Z#${'j'.repeat(1_050)}`) },
        {
          weight: 2,
          arbitrary: fc.constantFrom<unknown>(
            ' ',
            '\ud800',
            '2026-01-01T00:00:00.000Z#job_00000000000000000000000000',
            1,
            null,
            true,
            ['a'],
            { S: 'a' },
          ),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<CursorTamper>({ field: 'extra' }, { field: 'drop' }, { field: 'swap-tenant' }, { field: 'padding' }),
  },
  { weight: 1, arbitrary: fc.record({ field: fc.constant('truncate' as const), at: fc.nat(200) }) },
);

const cursor = fc.record(
  { cursor: fc.constantFrom('own' as const, 'foreign' as const), n: fc.nat(5), tamper },
  { requiredKeys: ['cursor', 'n'] },
);

const statusValue = fc.oneof(
  fc.constantFrom('queued', 'scheduled', 'running', 'retry_scheduled', 'succeeded', 'failed', 'cancelled'),
  fc.constantFrom('QUEUED', 'queued ', 'unknown', '', 'queued,failed', 'job.queued', '0', '["queued"]'),
);

const limitValue = fc.oneof(
  fc.integer({ min: 1, max: 100 }).map(String),
  fc.constantFrom('0', '101', '-1', '1.5', '1e1', '0x10', ' 5', '5 ', '', 'NaN', 'Infinity', '99999999999999999999', '+3', '1_0', '٣'),
);

const listParam: fc.Arbitrary<readonly [string, QueryValue]> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constant('status'), statusValue) },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constant('account_id'),
      fc.oneof(
        fc.record({ ownAccount: fc.nat(3) }),
        fc.constant({ foreignAccount: true as const }),
        fc.constantFrom('', '-bad', 'a'.repeat(65), 'shared-main#x', 'SHARED-MAIN'),
      ),
    ),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constant('limit'), limitValue) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('cursor'), fc.oneof(cursor, fc.constantFrom('', 'x', '!!!', 'e30', 'bnVsbA', 'W10'))) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('tenant_id', 'Status', 'offset', 'page', 'sort', '__proto__', 'cursor[]'),
      fc.string({ maxLength: 10 }),
    ),
  },
);

/** A listing resumed as it was made (same filters, its own cursor), the cursor maybe forged: so a forgery reaches the query. */
const resume: fc.Arbitrary<readonly [string, QueryValue]> = fc.tuple(
  fc.constant('cursor'),
  fc.record({
    resume: fc.constantFrom('own' as const, 'own' as const, 'foreign' as const),
    n: fc.nat(3),
    tamper: fc.option(tamper, { nil: undefined, freq: 4 }),
  }),
);

/** GET /v1/jobs: any mix of its parameters, repeated ones and unknown ones included, or a listing resumed. */
export const listQuery = fc.oneof(
  { weight: 3, arbitrary: fc.array(listParam, { maxLength: 4 }) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(resume, fc.option(fc.tuple(fc.constant('limit'), limitValue), { nil: undefined }))
      .map(([r, l]) => (l ? [r, l] : [r])),
  },
);

/** The routes that take no parameters: usually none, sometimes unknown ones. */
export const strayQuery = fc.oneof(
  { weight: 6, arbitrary: fc.constant([] as Array<readonly [string, QueryValue]>) },
  {
    weight: 1,
    arbitrary: fc.array(fc.tuple(fc.constantFrom('limit', 'tenant_id', 'x', 'cursor', ''), fc.string({ maxLength: 10 })), {
      minLength: 1,
      maxLength: 2,
    }),
  },
);

/** How the query text is written: encoded as a browser would, or with a raw `&`, `+` and bad escapes left in. */
export const queryEncoding = fc.constantFrom('encoded' as const, 'encoded' as const, 'encoded' as const, 'verbatim' as const);
