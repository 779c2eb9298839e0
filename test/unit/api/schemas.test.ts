import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CreatePinRequest, IdempotencyKey, ListJobsQuery, PutAccountRequest } from '../../../lambdas/api/schemas.ts';

const url = (n: number) => `https://example.com/${'a'.repeat(n - 'https://example.com/'.length)}`;
const img = (u: string) => ({ source_type: 'image_url', url: u });
const item = (i: number) => ({ url: `https://example.com/${i}.jpg` });
const items = (n: number) => Array.from({ length: n }, (_, i) => item(i));
const b64 = (patch: object) => ({
  media_source: { source_type: 'image_base64', content_type: 'image/png', data: 'iVBORw0KGgo=', ...patch },
});
const video = (patch: object) => ({ media_source: { source_type: 'video_id', media_id: '8374628', ...patch } });
/** `{"k":"…"}` is 8 bytes plus the value. */
const metadataOfBytes = (n: number, ch = 'x') => ({ k: ch.repeat((n - 8) / Buffer.byteLength(ch)) });

const BASE = { account_id: 'acme-main', board_id: '549755885175', media_source: img('https://example.com/chair.jpg') };

/** Issue paths as the API reports them: an unknown key is reported at its own path. */
function paths(error: z.ZodError): string[] {
  return error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : [i.path.join('.')]));
}

describe('CreatePinRequest accepts', () => {
  it.each<[string, object]>([
    ['the minimal body', {}],
    ['title of 100 characters', { title: 't'.repeat(100) }],
    ['title of 100 emoji (200 UTF-16 units)', { title: '😀'.repeat(100) }],
    ['description of 800 characters', { description: 'é'.repeat(800) }],
    ['alt_text of 500 characters', { alt_text: '😀'.repeat(500) }],
    ['note of 500 characters', { note: 'n'.repeat(500) }],
    ['an http link', { link: 'http://example.com' }],
    ['an https link with query and fragment', { link: 'https://example.com/p?q=1&r=%20#top' }],
    ['a link of 2048 characters', { link: url(2048) }],
    ['dominant_color #RRGGBB in any case', { dominant_color: '#A1b2C3' }],
    ['section and parent ids as digits', { board_section_id: '1', parent_pin_id: '99' }],
    ['image_url with is_standard', { media_source: { ...img('https://example.com/a.png'), is_standard: true } }],
    ['image_base64 png', b64({})],
    ['image_base64 jpeg with one pad', b64({ content_type: 'image/jpeg', data: '/9j/4AAQSkZJRgA=' })],
    ['image_base64 with two pads', b64({ data: 'ab+/Zg==' })],
    ['a carousel of 2', { media_source: { source_type: 'multiple_image_urls', items: items(2) } }],
    [
      'a carousel of 5 with item fields and index',
      {
        media_source: {
          source_type: 'multiple_image_urls',
          items: [{ ...item(0), title: 'T', description: 'D', link: 'https://e.com' }, ...items(4)],
          index: 4,
        },
      },
    ],
    ['video_id with cover_image_url', video({ cover_image_url: 'https://example.com/cover.jpg' })],
    ['video_id with cover_image_key_frame_time 0', video({ cover_image_key_frame_time: 0 })],
    ['metadata of exactly 2048 bytes', { metadata: metadataOfBytes(2048) }],
    ['publish_at in UTC', { publish_at: '2026-12-01T09:00:00Z' }],
    ['publish_at with an offset and fraction', { publish_at: '2026-12-01T09:00:00.123+05:30' }],
    ['publish_at null', { publish_at: null }],
    ['publish_at on a leap day', { publish_at: '2028-02-29T09:00:00Z' }],
    ['account_id of 64 characters', { account_id: 'a'.repeat(64) }],
  ])('%s', (_name, patch) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, ...patch });
    expect(parsed.error?.issues).toBeUndefined();
  });
});

describe('CreatePinRequest rejects', () => {
  it.each<[string, object, string]>([
    ['title of 101 characters', { title: 't'.repeat(101) }, 'title'],
    ['title of 101 emoji', { title: '😀'.repeat(101) }, 'title'],
    ['description of 801 characters', { description: 'd'.repeat(801) }, 'description'],
    ['alt_text of 501 characters', { alt_text: 'a'.repeat(501) }, 'alt_text'],
    ['a javascript: link', { link: 'javascript:alert(1)' }, 'link'],
    ['an ftp link', { link: 'ftp://x' }, 'link'],
    ['a relative link', { link: '/relative' }, 'link'],
    ['a link without scheme', { link: 'example.com/p' }, 'link'],
    ['a link with a space', { link: 'https://exa mple.com' }, 'link'],
    ['a link with a trailing newline', { link: 'https://example.com/\n' }, 'link'],
    ['a link of 2049 characters', { link: url(2049) }, 'link'],
    ['a relative media url', { media_source: img('/chair.jpg') }, 'media_source.url'],
    [
      'a carousel item with a data: url',
      { media_source: { source_type: 'multiple_image_urls', items: [item(0), { url: 'data:image/png;base64,AAAA' }] } },
      'media_source.items.1.url',
    ],
    ['board_id with letters', { board_id: '12a' }, 'board_id'],
    ['board_id as a number', { board_id: 549755885175 }, 'board_id'],
    ['an empty board_id', { board_id: '' }, 'board_id'],
    ['a missing board_id', { board_id: undefined }, 'board_id'],
    ['dominant_color #RGB', { dominant_color: '#abc' }, 'dominant_color'],
    ['dominant_color without #', { dominant_color: 'aabbcc' }, 'dominant_color'],
    ['dominant_color with non-hex digits', { dominant_color: '#GGGGGG' }, 'dominant_color'],
    ['an unknown source_type', { media_source: { source_type: 'image_file', url: 'https://e.com/a.jpg' } }, 'media_source.source_type'],
    ['a carousel of 1', { media_source: { source_type: 'multiple_image_urls', items: items(1) } }, 'media_source.items'],
    ['a carousel of 6', { media_source: { source_type: 'multiple_image_urls', items: items(6) } }, 'media_source.items'],
    ['a carousel index of 5', { media_source: { source_type: 'multiple_image_urls', items: items(5), index: 5 } }, 'media_source.index'],
    ['image_base64 gif', b64({ content_type: 'image/gif' }), 'media_source.content_type'],
    ['image_base64 with a data: prefix', b64({ data: 'data:image/png;base64,iVBORw0KGgo=' }), 'media_source.data'],
    ['image_base64 with whitespace', b64({ data: 'iVBO Rw0KGgo=' }), 'media_source.data'],
    ['image_base64 with base64url characters', b64({ data: 'ab-_Zg==' }), 'media_source.data'],
    ['image_base64 of bad length', b64({ data: 'iVBORw0KGgo' }), 'media_source.data'],
    ['image_base64 with three pads', b64({ data: 'a===' }), 'media_source.data'],
    ['empty image_base64', b64({ data: '' }), 'media_source.data'],
    [
      'video_id with both covers',
      video({ cover_image_url: 'https://e.com/c.jpg', cover_image_key_frame_time: 1 }),
      'media_source.cover_image_url',
    ],
    ['video_id with no cover', video({}), 'media_source.cover_image_url'],
    ['video_id with a non-digit media_id', video({ media_id: 'abc', cover_image_key_frame_time: 1 }), 'media_source.media_id'],
    ['an unknown root field', { foo: 1 }, 'foo'],
    ['an unknown media_source field', { media_source: { ...img('https://e.com/a.jpg'), extra: 1 } }, 'media_source.extra'],
    [
      'an unknown carousel item field',
      { media_source: { source_type: 'multiple_image_urls', items: [{ ...item(0), extra: 1 }, item(1)] } },
      'media_source.items.0.extra',
    ],
    ['metadata of 2049 bytes', { metadata: metadataOfBytes(2049) }, 'metadata'],
    ['metadata over 2048 bytes in fewer characters (é = 2 bytes)', { metadata: metadataOfBytes(2050, 'é') }, 'metadata'],
    ['metadata as an array', { metadata: [1] }, 'metadata'],
    ['publish_at without a time zone', { publish_at: '2026-12-01T09:00:00' }, 'publish_at'],
    ['publish_at as a date only', { publish_at: '2026-12-01' }, 'publish_at'],
    ['publish_at as prose', { publish_at: 'tomorrow' }, 'publish_at'],
    ['publish_at on a day that does not exist', { publish_at: '2026-02-30T09:00:00Z' }, 'publish_at'],
    ['publish_at with a leap second', { publish_at: '2026-12-01T09:00:60Z' }, 'publish_at'],
    ['publish_at with an hour-only offset', { publish_at: '2026-12-01T09:00:00+05' }, 'publish_at'],
    ['account_id starting with -', { account_id: '-main' }, 'account_id'],
    ['account_id of 65 characters', { account_id: 'a'.repeat(65) }, 'account_id'],
  ])('%s', (_name, patch, path) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, ...patch });
    expect(parsed.success).toBe(false);
    expect(paths(parsed.error!)).toContain(path);
  });

  // The WHATWG parser "repairs" `http:example.com` and `https:\\example.com` into https://example.com/, but
  // the caller's raw string is what is stored and forwarded to Pinterest: it must itself be `scheme://host`.
  it.each([['http:example.com'], ['https:\\\\example.com'], ['https:/example.com']])(
    'a link that only a lenient parser repairs: %s',
    (link) => {
      const parsed = CreatePinRequest.safeParse({ ...BASE, link });
      expect(parsed.success).toBe(false);
    },
  );
});

describe('IdempotencyKey', () => {
  it.each([['a'], ['!'], ['~'], ['x'.repeat(255)], ['cms-4411/pin:v2?x=1']])('accepts %j', (key) => {
    expect(IdempotencyKey.safeParse(key).success).toBe(true);
  });

  it.each([[''], [' '], ['a b'], ['x'.repeat(256)], ['é'], ['\t'], ['key\n'], ['\x7f'], ['😀']])('rejects %j', (key) => {
    expect(IdempotencyKey.safeParse(key).success).toBe(false);
  });
});

describe('PutAccountRequest', () => {
  it('accepts the access token alone and the full body', () => {
    expect(PutAccountRequest.safeParse({ access_token: 'pina_x' }).success).toBe(true);
    const full = {
      access_token: 'pina_x',
      refresh_token: 'pinr_y',
      expires_at: '2026-04-01T00:00:00Z',
      refresh_token_expires_at: '2026-05-01T00:00:00+02:00',
      rate_limit_per_minute: 100_000,
    };
    expect(PutAccountRequest.parse(full)).toEqual(full);
  });

  it.each<[string, object, string]>([
    ['no access_token', {}, 'access_token'],
    ['an empty access_token', { access_token: '' }, 'access_token'],
    ['an access_token over 4096', { access_token: 'a'.repeat(4097) }, 'access_token'],
    ['an unknown field', { access_token: 'a', scope: 'pins:write' }, 'scope'],
    ['expires_at without a time zone', { access_token: 'a', expires_at: '2026-04-01T00:00:00' }, 'expires_at'],
    ['rate_limit_per_minute 0', { access_token: 'a', rate_limit_per_minute: 0 }, 'rate_limit_per_minute'],
    ['a fractional rate limit', { access_token: 'a', rate_limit_per_minute: 1.5 }, 'rate_limit_per_minute'],
    ['a rate limit as a string', { access_token: 'a', rate_limit_per_minute: '10' }, 'rate_limit_per_minute'],
  ])('rejects %s', (_name, body, path) => {
    const parsed = PutAccountRequest.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(paths(parsed.error!)).toContain(path);
  });
});

describe('ListJobsQuery', () => {
  it.each<[object, object]>([
    [{}, { limit: 25 }],
    [{ limit: '1' }, { limit: 1 }],
    [{ limit: '100' }, { limit: 100 }],
    [
      { status: 'retry_scheduled', account_id: 'acme-main', cursor: 'abc', limit: '7' },
      { status: 'retry_scheduled', account_id: 'acme-main', cursor: 'abc', limit: 7 },
    ],
  ])('%j ⇒ %j', (query, expected) => {
    expect(ListJobsQuery.parse(query)).toEqual(expected);
  });

  it.each<[object, string]>([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: '-1' }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ status: 'done' }, 'status'],
    [{ account_id: 'a b' }, 'account_id'],
    [{ cursor: '' }, 'cursor'],
    [{ page: '2' }, 'page'],
  ])('rejects %j', (query, path) => {
    const parsed = ListJobsQuery.safeParse(query);
    expect(parsed.success).toBe(false);
    expect(paths(parsed.error!)).toContain(path);
  });
});

/** `depth` levels of objects, counting the outer one: depth 1 is `{"a":1}`. */
const nested = (depth: number, leaf: unknown = 1): Record<string, unknown> => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
};
const deepPath = (depth: number) => ['metadata', ...Array.from({ length: depth }, () => 'a')];

// Everything intake accepts is written to DynamoDB through the document client and read back by GET;
// these are the values that would make that write fail (a 5xx) or come back different.
describe('CreatePinRequest accepts only what it can store and read back unchanged', () => {
  it.each<[string, unknown]>([
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
    ['the smallest safe integer', -Number.MAX_SAFE_INTEGER],
    ['a fraction', 0.1],
    ['a third', 1 / 3],
    ['the smallest magnitude DynamoDB stores', 1e-130],
    ['a negative small number', -1.5e-100],
    ['zero', 0],
    ['an astral string', '😀 𝄞'],
    ['a NUL character', '\u0000'],
    ['an empty string', ''],
    ['nested empty containers', { o: {}, l: [] }],
    ['null and booleans', [null, true, false]],
  ])('a metadata value that is %s', (_name, value) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, metadata: { v: value } });
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data!.metadata).toEqual({ v: value });
  });

  it('metadata 30 levels deep (the item holds it at job → metadata, and DynamoDB allows 32 levels)', () => {
    expect(CreatePinRequest.safeParse({ ...BASE, metadata: nested(30) }).error?.issues).toBeUndefined();
    expect(CreatePinRequest.safeParse({ ...BASE, metadata: nested(29, [1]) }).error?.issues).toBeUndefined();
  });

  it('keys that merely look special (toString, valueOf, prototype, a NUL)', () => {
    const metadata = JSON.parse('{"toString":1,"valueOf":{"prototype":2},"hasOwnProperty":"x","\\u0000":3}');
    expect(CreatePinRequest.parse({ ...BASE, metadata }).metadata).toEqual(metadata);
  });

  it('cover_image_key_frame_time as a fraction', () => {
    expect(CreatePinRequest.safeParse({ ...BASE, ...video({ cover_image_key_frame_time: 2.5 }) }).error?.issues).toBeUndefined();
  });
});

describe('CreatePinRequest rejects what it cannot store as sent', () => {
  it.each<[string, unknown, string]>([
    ['an integer beyond 2^53 (JSON.parse already rounded it)', JSON.parse('{"post_id":12345678901234567890}'), 'metadata.post_id'],
    ['2^53, which the document client refuses', { n: 2 ** 53 }, 'metadata.n'],
    ['-2^53', { n: -(2 ** 53) }, 'metadata.n'],
    ['1e300', { n: 1e300 }, 'metadata.n'],
    ['a number below DynamoDB’s smallest magnitude', { n: 1e-131 }, 'metadata.n'],
    ['the smallest double', { n: 5e-324 }, 'metadata.n'],
    ['negative zero (reads back as 0)', JSON.parse('{"n":-0}'), 'metadata.n'],
    ['Infinity (what JSON.parse makes of 1e400)', JSON.parse('{"n":1e400}'), 'metadata.n'],
    ['NaN', { n: Number.NaN }, 'metadata.n'],
    ['a huge number inside an array', { list: [1, 2, 1e20] }, 'metadata.list.2'],
    ['a lone high surrogate', { s: 'ok\ud800' }, 'metadata.s'],
    ['a lone low surrogate', { s: '\udc00x' }, 'metadata.s'],
    ['a lone surrogate in an array', { l: ['\udfff'] }, 'metadata.l.0'],
    ['a lone surrogate in a key', { 'k\ud800': 1 }, 'metadata'],
    ['an empty key', { '': 1 }, 'metadata'],
    ['an empty key further down', { a: { '': 1 } }, 'metadata.a'],
    ['a __proto__ key', JSON.parse('{"__proto__":{"polluted":true}}'), 'metadata'],
    ['a __proto__ key further down', JSON.parse('{"a":{"__proto__":1}}'), 'metadata.a'],
    // The DynamoDB marshaller reads `value.constructor.name` to decide how to store an object.
    ['a constructor key', { constructor: ' ' }, 'metadata'],
    ['a constructor key that names Set', { a: [{ constructor: { name: 'Set' } }] }, 'metadata.a.0'],
    ['a value that is not JSON (undefined)', { u: undefined }, 'metadata.u'],
  ])('metadata with %s', (_name, metadata, path) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, metadata });
    expect(parsed.success).toBe(false);
    expect(paths(parsed.error!)).toContain(path);
  });

  it('metadata 31 levels deep, and 40 levels deep though under 2 KB', () => {
    for (const depth of [31, 40]) {
      const body = { ...BASE, metadata: nested(depth) };
      expect(Buffer.byteLength(JSON.stringify(body.metadata))).toBeLessThan(2048);
      const parsed = CreatePinRequest.safeParse(body);
      expect(parsed.success).toBe(false);
      expect(paths(parsed.error!)).toContain(deepPath(31).slice(0, 31).join('.'));
    }
    const lists = CreatePinRequest.safeParse({ ...BASE, metadata: nested(30, [1]) });
    expect(lists.success).toBe(false);
  });

  it('metadata nested far beyond any limit without overflowing the stack', () => {
    const metadata = JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
    expect(CreatePinRequest.safeParse({ ...BASE, metadata }).success).toBe(false);
  });

  it.each<[string, object, string]>([
    ['cover_image_key_frame_time 1e300', video({ cover_image_key_frame_time: 1e300 }), 'media_source.cover_image_key_frame_time'],
    ['cover_image_key_frame_time -0', video({ cover_image_key_frame_time: -0 }), 'media_source.cover_image_key_frame_time'],
    ['cover_image_key_frame_time 5e-324', video({ cover_image_key_frame_time: 5e-324 }), 'media_source.cover_image_key_frame_time'],
    ['a title with a lone surrogate', { title: 'Walnut \ud83d table' }, 'title'],
    ['a description with a lone surrogate', { description: '\ude00' }, 'description'],
    ['a note with a lone surrogate', { note: 'x\ud800' }, 'note'],
    [
      'a carousel title with a lone surrogate',
      { media_source: { source_type: 'multiple_image_urls', items: [{ ...item(0), title: '\ud800' }, item(1)] } },
      'media_source.items.0.title',
    ],
    ['a link with a lone surrogate', { link: 'https://example.com/\ud800' }, 'link'],
    ['a media url with a lone surrogate', { media_source: img('https://example.com/\udc00.jpg') }, 'media_source.url'],
    ['a link of 2049 code points', { link: `https://example.com/${'é'.repeat(2049 - 'https://example.com/'.length)}` }, 'link'],
  ])('%s', (_name, patch, path) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, ...patch });
    expect(parsed.success).toBe(false);
    expect(paths(parsed.error!)).toContain(path);
  });

  it('counts astral characters as one against title ≤ 100, and a lone surrogate is never counted as text', () => {
    expect(CreatePinRequest.safeParse({ ...BASE, title: `${'𝄞'.repeat(99)}x` }).success).toBe(true);
    expect(CreatePinRequest.safeParse({ ...BASE, title: '𝄞'.repeat(101) }).success).toBe(false);
    expect(CreatePinRequest.safeParse({ ...BASE, title: `${'𝄞'.repeat(99)}\ud834` }).success).toBe(false);
  });

  it('names no input in its messages', () => {
    const secret = 'pina_SECRET_4242';
    const parsed = CreatePinRequest.safeParse({ ...BASE, title: `${secret}\ud800`, metadata: { k: `${secret}\udc00` } });
    expect(JSON.stringify(parsed.error!.issues.map((i) => i.message))).not.toContain('SECRET');
  });
});

describe('PutAccountRequest tokens', () => {
  it.each([['pina_AbC-123.xyz~!'], ['pinr_x'], ['!'.repeat(4096)]])('accepts printable ASCII %j', (token) => {
    expect(PutAccountRequest.safeParse({ access_token: token, refresh_token: token }).success).toBe(true);
  });

  it.each<[string, string]>([
    ['a space', 'pina_abc def'],
    ['a leading space', ' pina_abc'],
    ['a tab', 'pina_abc\t'],
    ['a newline', 'pina_abc\n'],
    ['a NUL', 'pina_\u0000'],
    ['DEL', 'pina_\u007f'],
    ['non-ASCII', 'pina_é'],
    ['a lone surrogate', 'pina_\ud800'],
  ])('rejects a token with %s, at its field', (_name, token) => {
    for (const field of ['access_token', 'refresh_token'] as const) {
      const parsed = PutAccountRequest.safeParse({ access_token: 'pina_ok', [field]: token });
      expect(parsed.success).toBe(false);
      expect(paths(parsed.error!)).toEqual([field]);
      expect(JSON.stringify(parsed.error!.issues)).not.toContain('pina_abc');
    }
  });
});
