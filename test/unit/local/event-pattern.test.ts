import { describe, expect, it } from 'vitest';
import { EventPattern, InvalidEventPatternError, matchesEventPattern } from '../../../local/stand-ins/event-pattern.ts';

/** An event as pinrelay publishes it. */
const event = (detail: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) => ({
  version: '0',
  id: '6f2d1b4e-0000-4000-8000-000000000001',
  'detail-type': 'job.published',
  source: 'pinrelay',
  account: '000000000000',
  time: '2025-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:pinrelay:job/job_1', 'arn:aws:pinrelay:tenant/acme'],
  detail: {
    id: 'evt_1',
    type: 'job.published',
    created_at: '2025-01-01T12:00:00.000Z',
    tenant_id: 'acme',
    data: { job: { id: 'job_1', status: 'published', attempts: 2, board_id: '987', tags: ['home', 'wood'], error: null } },
    ...detail,
  },
  ...overrides,
});

const matches = (pattern: object, e: unknown = event()) => matchesEventPattern(pattern, e);

describe('event patterns: exact values', () => {
  it('matches top-level and nested exact strings (AND across fields, OR within a list)', () => {
    expect(matches({ source: ['pinrelay'] })).toBe(true);
    expect(matches({ source: ['other', 'pinrelay'] })).toBe(true);
    expect(matches({ source: ['other'] })).toBe(false);
    expect(matches({ source: ['pinrelay'], 'detail-type': ['job.published'], detail: { tenant_id: ['acme'] } })).toBe(true);
    expect(matches({ source: ['pinrelay'], detail: { tenant_id: ['globex'] } })).toBe(false);
    expect(matches({ detail: { data: { job: { status: ['published'] } } } })).toBe(true);
  });

  it('is case-sensitive and never mixes types', () => {
    expect(matches({ source: ['PinRelay'] })).toBe(false);
    expect(matches({ detail: { data: { job: { attempts: ['2'] } } } })).toBe(false);
    expect(matches({ detail: { data: { job: { board_id: [987] } } } })).toBe(false);
  });

  it('compares numbers as numbers', () => {
    expect(matches({ detail: { data: { job: { attempts: [2] } } } })).toBe(true);
    expect(matches({ detail: { data: { job: { attempts: [2.0] } } } })).toBe(true);
    expect(matches({ detail: { data: { job: { attempts: [3] } } } })).toBe(false);
  });

  it('matches null only against a JSON null, never against a missing field', () => {
    expect(matches({ detail: { data: { job: { error: [null] } } } })).toBe(true);
    expect(matches({ detail: { data: { job: { missing: [null] } } } })).toBe(false);
    expect(matches({ detail: { data: { job: { status: [null] } } } })).toBe(false);
  });

  it('matches booleans', () => {
    const e = event({ live: true });
    expect(matches({ detail: { live: [true] } }, e)).toBe(true);
    expect(matches({ detail: { live: [false] } }, e)).toBe(false);
    expect(matches({ detail: { live: ['true'] } }, e)).toBe(false);
  });

  it('matches an array field when any element matches', () => {
    expect(matches({ resources: ['arn:aws:pinrelay:tenant/acme'] })).toBe(true);
    expect(matches({ detail: { data: { job: { tags: ['wood'] } } } })).toBe(true);
    expect(matches({ detail: { data: { job: { tags: ['metal'] } } } })).toBe(false);
    expect(matches({ detail: { nested: [1] } }, event({ nested: [[0, [1]]] }))).toBe(true);
  });

  it('matches a nested pattern against an array of objects element by element', () => {
    const e = event({
      items: [
        { kind: 'a', size: 1 },
        { kind: 'b', size: 2 },
      ],
    });
    expect(matches({ detail: { items: { kind: ['b'] } } }, e)).toBe(true);
    expect(matches({ detail: { items: { kind: ['b'], size: [2] } } }, e)).toBe(true);
    // Both conditions must hold in the same element.
    expect(matches({ detail: { items: { kind: ['a'], size: [2] } } }, e)).toBe(false);
  });

  it('does not match a leaf list against an object, or descend into a scalar', () => {
    expect(matches({ detail: { data: ['x'] } })).toBe(false);
    expect(matches({ detail: { tenant_id: { x: ['acme'] } } })).toBe(false);
  });

  it('fails on missing fields', () => {
    expect(matches({ detail: { nope: ['x'] } })).toBe(false);
    expect(matches({ nope: { deeper: ['x'] } })).toBe(false);
  });
});

describe('event patterns: matchers', () => {
  it('prefix and suffix, also ignoring case', () => {
    expect(matches({ 'detail-type': [{ prefix: 'job.' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ prefix: 'Job.' }] })).toBe(false);
    expect(matches({ 'detail-type': [{ prefix: { 'equals-ignore-case': 'JOB.' } }] })).toBe(true);
    expect(matches({ 'detail-type': [{ suffix: '.published' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ suffix: { 'equals-ignore-case': '.PUBLISHED' } }] })).toBe(true);
    expect(matches({ 'detail-type': [{ suffix: '.failed' }] })).toBe(false);
    expect(matches({ detail: { data: { job: { attempts: [{ prefix: '2' }] } } } })).toBe(false); // strings only
  });

  it('equals-ignore-case', () => {
    expect(matches({ source: [{ 'equals-ignore-case': 'PINRELAY' }] })).toBe(true);
    expect(matches({ source: [{ 'equals-ignore-case': 'pinrelay2' }] })).toBe(false);
  });

  it('wildcard, with \\* for a literal star', () => {
    expect(matches({ 'detail-type': [{ wildcard: 'job.*' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ wildcard: '*.pub*ed' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ wildcard: 'job.fail*' }] })).toBe(false);
    expect(matches({ detail: { s: [{ wildcard: 'a\\*b' }] } }, event({ s: 'a*b' }))).toBe(true);
    expect(matches({ detail: { s: [{ wildcard: 'a\\*b' }] } }, event({ s: 'axb' }))).toBe(false);
    expect(matches({ detail: { s: [{ wildcard: 'a.c' }] } }, event({ s: 'abc' }))).toBe(false); // '.' is literal
  });

  it('anything-but a value, a list, or a string matcher', () => {
    expect(matches({ 'detail-type': [{ 'anything-but': 'job.failed' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ 'anything-but': 'job.published' }] })).toBe(false);
    expect(matches({ 'detail-type': [{ 'anything-but': ['job.failed', 'job.published'] }] })).toBe(false);
    expect(matches({ detail: { data: { job: { attempts: [{ 'anything-but': [1, 3] }] } } } })).toBe(true);
    expect(matches({ detail: { data: { job: { attempts: [{ 'anything-but': 2 }] } } } })).toBe(false);
    expect(matches({ 'detail-type': [{ 'anything-but': { prefix: 'job.' } }] })).toBe(false);
    expect(matches({ 'detail-type': [{ 'anything-but': { prefix: 'tenant.' } }] })).toBe(true);
    expect(matches({ 'detail-type': [{ 'anything-but': { suffix: '.failed' } }] })).toBe(true);
    expect(matches({ source: [{ 'anything-but': { 'equals-ignore-case': ['PINRELAY', 'x'] } }] })).toBe(false);
    expect(matches({ source: [{ 'anything-but': { wildcard: 'pin*' } }] })).toBe(false);
  });

  it('anything-but needs the field, and is satisfied by any element of an array', () => {
    expect(matches({ detail: { nope: [{ 'anything-but': 'x' }] } })).toBe(false);
    expect(matches({ detail: { data: { job: { tags: [{ 'anything-but': 'home' }] } } } })).toBe(true); // 'wood'
    expect(matches({ detail: { data: { job: { tags: [{ 'anything-but': ['home', 'wood'] }] } } } })).toBe(false);
  });

  it('numeric ranges and equality, numbers only', () => {
    const attempts = (numeric: unknown[]) => matches({ detail: { data: { job: { attempts: [{ numeric }] } } } });
    expect(attempts(['>', 1])).toBe(true);
    expect(attempts(['>', 2])).toBe(false);
    expect(attempts(['>=', 2])).toBe(true);
    expect(attempts(['<', 2])).toBe(false);
    expect(attempts(['<=', 2])).toBe(true);
    expect(attempts(['>', 0, '<=', 5])).toBe(true);
    expect(attempts(['>', 2, '<=', 5])).toBe(false);
    expect(attempts(['=', 2])).toBe(true);
    expect(attempts(['=', 2.5])).toBe(false);
    expect(matches({ detail: { data: { job: { board_id: [{ numeric: ['>', 0] }] } } } })).toBe(false); // "987" is a string
  });

  it('exists, on leaf values only', () => {
    expect(matches({ detail: { tenant_id: [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { nope: [{ exists: true }] } })).toBe(false);
    expect(matches({ detail: { nope: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { tenant_id: [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { data: { job: { error: [{ exists: true }] } } } })).toBe(true); // null is a value
    expect(matches({ detail: { data: [{ exists: true }] } })).toBe(false); // an object is not a leaf
    expect(matches({ detail: { empty: [{ exists: false }] } }, event({ empty: [] }))).toBe(true);
    // A missing parent: the nested field does not exist either.
    expect(matches({ nope: { deeper: [{ exists: false }] } })).toBe(true);
  });

  it('cidr, IPv4 and IPv6', () => {
    const ip = (address: string, cidr: string) => matches({ detail: { ip: [{ cidr }] } }, event({ ip: address }));
    expect(ip('10.0.0.42', '10.0.0.0/24')).toBe(true);
    expect(ip('10.0.1.42', '10.0.0.0/24')).toBe(false);
    expect(ip('2001:db8::1', '2001:db8::/32')).toBe(true);
    expect(ip('2001:db9::1', '2001:db8::/32')).toBe(false);
    expect(ip('not an ip', '10.0.0.0/8')).toBe(false);
  });

  it('ORs the items of a list, matchers and values mixed', () => {
    expect(matches({ 'detail-type': ['job.failed', { prefix: 'job.pub' }] })).toBe(true);
    expect(matches({ detail: { nope: ['x', { exists: false }] } })).toBe(true);
  });
});

describe('event patterns: $or', () => {
  it('matches when any alternative matches, AND-ed with the other fields', () => {
    const pattern = { source: ['pinrelay'], $or: [{ 'detail-type': ['job.failed'] }, { detail: { tenant_id: ['acme'] } }] };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, event({ tenant_id: 'globex' }))).toBe(false);
    expect(matches({ ...pattern, source: ['other'] })).toBe(false);
  });

  it('works inside nested objects', () => {
    const pattern = { detail: { $or: [{ tenant_id: ['globex'] }, { data: { job: { attempts: [{ numeric: ['>=', 2] }] } } }] } };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, event({ data: { job: { attempts: 1 } } }))).toBe(false);
  });
});

describe('event patterns: validation (InvalidEventPatternException on AWS)', () => {
  it.each([
    ['not JSON', '{source: pinrelay}'],
    ['not an object', '["pinrelay"]'],
    ['an empty object', '{}'],
    ['an empty nested object', '{"detail": {}}'],
    ['a scalar field value', '{"source": "pinrelay"}'],
    ['an empty list', '{"source": []}'],
    ['a list of lists', '{"source": [["pinrelay"]]}'],
    ['an unknown matcher', '{"source": [{"regex": ".*"}]}'],
    ['a matcher with two keys', '{"source": [{"prefix": "a", "suffix": "b"}]}'],
    ['a non-string prefix', '{"source": [{"prefix": 1}]}'],
    ['exists that is not a boolean', '{"source": [{"exists": "yes"}]}'],
    ['a numeric operator that does not exist', '{"n": [{"numeric": ["!=", 1]}]}'],
    ['a numeric without a number', '{"n": [{"numeric": [">", "1"]}]}'],
    ['an empty numeric range', '{"n": [{"numeric": [">", 5, "<", 1]}]}'],
    ['= combined with a range', '{"n": [{"numeric": ["=", 5, "<", 9]}]}'],
    ['anything-but with an object inside a list', '{"source": [{"anything-but": [{"prefix": "a"}]}]}'],
    ['anything-but with an unknown matcher', '{"source": [{"anything-but": {"exists": true}}]}'],
    ['consecutive wildcards', '{"source": [{"wildcard": "a**b"}]}'],
    ['a bad CIDR', '{"ip": [{"cidr": "10.0.0.0/33"}]}'],
    ['$or with one alternative', '{"$or": [{"source": ["a"]}]}'],
    ['$or that is not a list of objects', '{"$or": ["a", "b"]}'],
  ])('rejects %s', (_what, pattern) => {
    expect(() => EventPattern.parse(pattern)).toThrow(InvalidEventPatternError);
    expect(() => EventPattern.parse(pattern)).toThrow(/^Event pattern is not valid\. Reason: /);
  });

  it('keeps the pattern text as given', () => {
    const text = '{ "source": ["pinrelay"] }';
    expect(EventPattern.parse(text).source).toBe(text);
  });

  it('matches the pattern pinrelay subscriptions use: one tenant, chosen statuses', () => {
    const pattern = EventPattern.parse({
      source: ['pinrelay'],
      'detail-type': ['job.published', 'job.failed'],
      detail: { tenant_id: ['acme'] },
    });
    expect(pattern.matches(event())).toBe(true);
    expect(pattern.matches(event({}, { 'detail-type': 'job.queued' }))).toBe(false);
    expect(pattern.matches(event({ tenant_id: 'globex' }))).toBe(false);
  });
});
