import { pin } from '../harness.ts';
import { base, json, type HostileGenerator } from './shapes.ts';

/**
 * Requests the API contract refuses: malformed JSON, wrong or missing headers, unknown fields, wrong types,
 * values past a limit, bad URLs, hostile shapes, bad credentials, unknown routes, bad account bodies.
 */
export const CONTRACT_VIOLATIONS: HostileGenerator[] = [
  (r) => {
    const valid = json(base());
    const bodies = [
      valid.slice(0, 1 + r.int(valid.length - 1)),
      '{',
      '{"a":}',
      '{"title":"x",}',
      "{'a':1}",
      '{"a":NaN}',
      r.string(40),
      '\u0000\u0001',
      '{"a":1}{"b":2}',
    ];
    return {
      kind: 'malformed json',
      method: 'POST',
      path: '/v1/pins',
      headers: { 'Content-Type': 'application/json' },
      body: r.pick(bodies),
    };
  },
  (r) => ({
    kind: 'wrong content type',
    method: 'POST',
    path: '/v1/pins',
    headers: {
      'Content-Type': r.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/json; charset=latin1',
        'image/png',
      ]),
    },
    body: json(base()),
  }),
  (r) => ({ kind: 'no content type', method: 'POST', path: '/v1/pins', headers: {}, body: r.pick([json(base()), '']) }),
  (r) => ({
    kind: 'oversize body',
    method: 'POST',
    path: '/v1/pins',
    headers: { 'Content-Type': 'application/json' },
    body: json({ ...base(), metadata: { blob: 'x'.repeat(256 * 1024 + r.int(40_000)) } }),
  }),
  (r) => {
    const key = r.pick(['', ' ', 'a b', 'tab\there', 'x'.repeat(256 + r.int(100)), 'caf\u00e9']);
    return {
      kind: 'bad idempotency key',
      method: 'POST',
      path: '/v1/pins',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: json(base()),
    };
  },
  () => ({
    kind: 'missing idempotency key',
    method: 'POST',
    path: '/v1/pins',
    headers: { 'Content-Type': 'application/json' },
    body: json(base()),
  }),
  (r) => {
    const p = base() as Record<string, unknown>;
    const where = r.int(3);
    if (where === 0) p[`extra_${r.string(5)}`] = r.string(5);
    else if (where === 1) p.media_source = { source_type: 'image_url', url: 'https://e.com/a.jpg', [`x${r.int(99)}`]: 1 };
    else
      p.media_source = {
        source_type: 'multiple_image_urls',
        items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg', surprise: true }],
      };
    return { kind: 'unknown field', method: 'POST', path: '/v1/pins', headers: { 'Content-Type': 'application/json' }, body: json(p) };
  },
  (r) => {
    const mutations: Array<(p: Record<string, unknown>) => unknown> = [
      (p) => ({ ...p, board_id: 12345 }),
      (p) => ({ ...p, title: 42 }),
      (p) => ({ ...p, media_source: 'https://e.com/a.jpg' }),
      (p) => ({ ...p, media_source: { source_type: 'multiple_image_urls', items: { url: 'https://e.com/a.jpg' } } }),
      (p) => ({ ...p, publish_at: 1_790_000_000 }),
      (p) => ({ ...p, metadata: ['a'] }),
      (p) => ({ ...p, metadata: 'x' }),
      (p) => ({ ...p, board_id: null }),
      (p) => ({ ...p, media_source: null }),
      () => [base()],
      () => null,
      () => 42,
      () => 'a string',
      (p) => ({ ...p, account_id: ['acct'] }),
      (p) => ({ ...p, media_source: { source_type: 'gif_url', url: 'https://e.com/a.gif' } }),
    ];
    return {
      kind: 'wrong type',
      method: 'POST',
      path: '/v1/pins',
      headers: { 'Content-Type': 'application/json' },
      body: json(r.pick(mutations)(base())),
    };
  },
  (r) => {
    const emoji = '\u{1F600}';
    const mutations: Array<(p: Record<string, unknown>) => unknown> = [
      (p) => ({ ...p, title: emoji.repeat(101) }),
      (p) => ({ ...p, description: 'd'.repeat(801 + r.int(50)) }),
      (p) => ({ ...p, alt_text: 'a'.repeat(501) }),
      (p) => ({ ...p, link: `https://e.com/${'p'.repeat(2040 + r.int(20))}` }),
      (p) => ({ ...p, media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }] } }),
      (p) => ({
        ...p,
        media_source: {
          source_type: 'multiple_image_urls',
          items: Array.from({ length: 6 }, (_, i) => ({ url: `https://e.com/${i}.jpg` })),
        },
      }),
      (p) => ({ ...p, board_id: `board-${r.int(99)}` }),
      (p) => ({ ...p, board_id: '' }),
      (p) => ({ ...p, dominant_color: r.pick(['#12345', 'red', '#GGGGGG', '123456']) }),
      (p) => ({ ...p, media_source: { source_type: 'video_id', media_id: '123' } }),
      (p) => ({
        ...p,
        media_source: { source_type: 'video_id', media_id: '123', cover_image_url: 'https://e.com/c.jpg', cover_image_key_frame_time: 1 },
      }),
      (p) => ({ ...p, media_source: { source_type: 'image_base64', content_type: 'image/gif', data: 'AAAA' } }),
      (p) => ({ ...p, media_source: { source_type: 'image_base64', content_type: 'image/png', data: 'data:image/png;base64,AAAA' } }),
      (p) => ({ ...p, parent_pin_id: 'abc' }),
    ];
    return {
      kind: 'limit',
      method: 'POST',
      path: '/v1/pins',
      headers: { 'Content-Type': 'application/json' },
      body: json(r.pick(mutations)(base())),
    };
  },
  (r) => {
    const url = r.pick([
      'javascript:alert(1)',
      'ftp://e.com/a.jpg',
      '/relative.jpg',
      'https://exa mple.com/a.jpg',
      'file:///etc/passwd',
      'data:image/png;base64,AAAA',
      'https://',
      '//e.com/a.jpg',
      'http://e.com/\u0000',
    ]);
    const where = r.int(3);
    const p = base() as Record<string, unknown>;
    if (where === 0) p.link = url;
    else if (where === 1) p.media_source = { source_type: 'image_url', url };
    else
      p.media_source = {
        source_type: 'multiple_image_urls',
        items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg', link: url }],
      };
    return { kind: 'bad url', method: 'POST', path: '/v1/pins', headers: { 'Content-Type': 'application/json' }, body: json(p) };
  },
  (r) => {
    const hostile = r.pick([
      '{"__proto__":{"polluted":true},"account_id":"acct"}',
      `{"constructor":{"prototype":{"polluted":true}},${json(base()).slice(1)}`,
      `{"account_id":"../../etc","board_id":"1","media_source":{"source_type":"image_url","url":"https://e.com/a.jpg"}}`,
      `{"account_id":"acct#other","board_id":"1","media_source":{"source_type":"image_url","url":"https://e.com/a.jpg"}}`,
      `${'['.repeat(3000)}${']'.repeat(3000)}`,
      `{"metadata":${'{"a":'.repeat(400)}1${'}'.repeat(400)},${json(base()).slice(1)}`,
      `{"board_id":"1' OR '1'='1","account_id":"acct","media_source":{"source_type":"image_url","url":"https://e.com/a.jpg"}}`,
      `{"board_id":"${'9'.repeat(400)}","account_id":"acct","media_source":{"source_type":"image_url","url":"https://e.com/a.jpg"}}`,
      json({ ...base(), title: '\u0000'.repeat(101) }),
      json({ ...base(), metadata: { big: 'x'.repeat(2100) } }),
    ]);
    return { kind: 'hostile', method: 'POST', path: '/v1/pins', headers: { 'Content-Type': 'application/json' }, body: hostile };
  },
  (r) => ({
    kind: 'bad publish_at',
    method: 'POST',
    path: '/v1/pins',
    headers: { 'Content-Type': 'application/json' },
    body: json({
      ...base(),
      publish_at: r.pick([
        'tomorrow',
        '2026-13-01T00:00:00Z',
        '2026-12-01T09:00:00',
        '2026-12-01',
        new Date(Date.now() + 400 * 86_400_000).toISOString(),
        '',
      ]),
    }),
  }),
  () => ({
    kind: 'unknown account',
    method: 'POST',
    path: '/v1/pins',
    headers: { 'Content-Type': 'application/json' },
    body: json(pin({ account_id: 'not-connected' })),
  }),
  (r) => ({
    kind: 'bad auth',
    method: 'POST',
    path: '/v1/pins',
    headers: {
      'Content-Type': 'application/json',
      Authorization: r.pick(['Bearer prk_forged', 'Bearer', 'Token abc', `Bearer ${'k'.repeat(600)}`]),
    },
    body: json(base()),
  }),
  (r) => ({
    kind: 'no such route',
    method: r.pick(['DELETE', 'PATCH', 'GET']),
    path: r.pick(['/v1/pins', '/v1/pins/1', '/v2/pins', '/admin', '/v1/jobs/x/requeue']),
    headers: {},
  }),
  (r) => ({
    kind: 'bad account body',
    method: 'PUT',
    path: `/v1/accounts/${r.pick(['acct', '-bad', 'a'.repeat(65)])}`,
    headers: { 'Content-Type': 'application/json' },
    body: json(
      r.pick([
        {},
        { access_token: 1 },
        { access_token: 'x', expires_at: 'soon' },
        { access_token: 'x', rate_limit_per_minute: -5 },
        { token: 'x' },
      ]),
    ),
  }),
];
