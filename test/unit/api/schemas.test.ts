import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CreatePinRequest, IdempotencyKey, ListJobsQuery, PutAccountRequest } from '../../../lambdas/api/schemas.ts';

const url = (n: number) => `https://example.com/${'a'.repeat(n - 'https://example.com/'.length)}`;
const img = (u: string) => ({ source_type: 'image_url', url: u });
const item = (i: number) => ({ url: `https://example.com/${i}.jpg` });
const items = (n: number) => Array.from({ length: n }, (_, i) => item(i));
const b64 = (patch: object) => ({ media_source: { source_type: 'image_base64', content_type: 'image/png', data: 'iVBORw0KGgo=', ...patch } });
const video = (patch: object) => ({ media_source: { source_type: 'video_id', media_id: '8374628', ...patch } });
/** `{"k":"…"}` is 8 bytes plus the value. */
const metadataOfBytes = (n: number, ch = 'x') => ({ k: ch.repeat((n - 8) / Buffer.byteLength(ch)) });

const BASE = { account_id: 'acme-main', board_id: '549755885175', media_source: img('https://example.com/chair.jpg') };

/** Issue paths as the API reports them: an unknown key is reported at its own path. */
function paths(error: z.ZodError): string[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : [i.path.join('.')],
  );
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
    ['a carousel of 5 with item fields and index', {
      media_source: { source_type: 'multiple_image_urls', items: [{ ...item(0), title: 'T', description: 'D', link: 'https://e.com' }, ...items(4)], index: 4 },
    }],
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
    ['a carousel item with a data: url', { media_source: { source_type: 'multiple_image_urls', items: [item(0), { url: 'data:image/png;base64,AAAA' }] } }, 'media_source.items.1.url'],
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
    ['video_id with both covers', video({ cover_image_url: 'https://e.com/c.jpg', cover_image_key_frame_time: 1 }), 'media_source.cover_image_url'],
    ['video_id with no cover', video({}), 'media_source.cover_image_url'],
    ['video_id with a non-digit media_id', video({ media_id: 'abc', cover_image_key_frame_time: 1 }), 'media_source.media_id'],
    ['an unknown root field', { foo: 1 }, 'foo'],
    ['an unknown media_source field', { media_source: { ...img('https://e.com/a.jpg'), extra: 1 } }, 'media_source.extra'],
    ['an unknown carousel item field', { media_source: { source_type: 'multiple_image_urls', items: [{ ...item(0), extra: 1 }, item(1)] } }, 'media_source.items.0.extra'],
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
  it.each([['http:example.com'], ['https:\\\\example.com'], ['https:/example.com']])('a link that only a lenient parser repairs: %s', (link) => {
    const parsed = CreatePinRequest.safeParse({ ...BASE, link });
    expect(parsed.success).toBe(false);
  });
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
    [{ status: 'retry_scheduled', account_id: 'acme-main', cursor: 'abc', limit: '7' }, { status: 'retry_scheduled', account_id: 'acme-main', cursor: 'abc', limit: 7 }],
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
