import { request } from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Pipeline } from '../../local/pipeline.ts';
import { pin, testPipeline } from './harness.ts';

/**
 * Bad input is always a 4xx in the error envelope (with details when a handler answers), never a 5xx,
 * never a partial write, and never quoted back. 1,500 generated malformed or hostile requests (seeded,
 * so a failure reproduces), then the jobs table must hold nothing.
 */
const REQUESTS = 1500;
const SEED = 20261122;

let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false }); // intake only: jobs stay queued
  const put = await fetch(`${pipeline.apiUrl}/v1/accounts/acct`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${pipeline.apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ access_token: 'token' }),
  });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await pipeline?.stop();
});

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    string: (n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + Math.floor(next() * 94))).join(''),
  };
}

interface HostileRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Secret-looking text inside the request: no 5-character piece of it may appear in the answer. */
  readonly secret?: string;
}

type Rng = ReturnType<typeof prng>;

/** node:http rather than fetch: fetch refuses some of the header values a hostile client can send. */
function send(url: string, q: HostileRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: q.method, headers: q.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(q.body === undefined ? undefined : Buffer.from(q.body, 'utf8'));
  });
}
const base = () => pin({ account_id: 'acct' });
const json = (value: unknown) => JSON.stringify(value);
/** A valid pin body with raw JSON text spliced in as extra fields, for values JSON.stringify cannot write. */
const withRaw = (fragment: string, p: object = base()) => `${json(p).slice(0, -1)},${fragment}}`;
const JSON_HEADERS = { 'Content-Type': 'application/json' };
/** `depth` levels of objects or arrays (the outer one included) around a leaf. */
const nestedText = (r: Rng, depth: number, leaf = '1') => {
  let text = leaf;
  for (let i = 0; i < depth; i++) text = r.int(2) === 0 ? `{"k":${text}}` : `[${text}]`;
  return text;
};
const LONE_SURROGATES = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\ud83d'];
const pieces = (secret: string) => Array.from({ length: secret.length - 4 }, (_, i) => secret.slice(i, i + 5));

/** Each generator produces a request that is invalid by construction, varied by the PRNG. */
const generators: Array<(r: Rng, n: number) => HostileRequest | HostileRequest[]> = [
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
    else if (where === 1) p['media_source'] = { source_type: 'image_url', url: 'https://e.com/a.jpg', [`x${r.int(99)}`]: 1 };
    else
      p['media_source'] = {
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
    if (where === 0) p['link'] = url;
    else if (where === 1) p['media_source'] = { source_type: 'image_url', url };
    else
      p['media_source'] = {
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
  // Valid JSON the store cannot keep as sent: each must be a 400 naming the field, not a 5xx from the write.
  (r) => {
    const digits = `${1 + r.int(9)}${Array.from({ length: 16 + r.int(15) }, () => r.int(10)).join('')}`; // 17–31 digits, > 2^53
    const where = r.int(3);
    const body =
      where === 0
        ? withRaw(`"metadata":{"post_id":${r.pick(['', '-'])}${digits}}`)
        : where === 1
          ? withRaw(`"metadata":{"ids":[1,${digits}]}`)
          : json({
              ...base(),
              media_source: { source_type: 'multiple_image_urls', items: [{ url: 'https://e.com/1.jpg' }, { url: 'https://e.com/2.jpg' }] },
            }).replace(/}}$/, `,"index":${digits}}}`);
    return { kind: 'huge integer', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body };
  },
  // Metadata nests inside the item's `job` map: 31 levels of the caller's own are one more than DynamoDB's 32 allow.
  (r) => ({
    kind: 'deep metadata',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: withRaw(`"metadata":{"a":${nestedText(r, 30 + r.int(20))}}`),
  }),
  // Deep enough that serialising it recursively would exhaust the stack, yet under the 256 KB body limit.
  (r) => {
    const depth = 60_000 + r.int(60_000);
    return {
      kind: 'very deep metadata',
      method: 'POST',
      path: '/v1/pins',
      headers: JSON_HEADERS,
      body: withRaw(`"metadata":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    };
  },
  (r) => {
    const value = r.pick([
      '1e300',
      '-1e300',
      '1e400',
      '-1e400',
      '5e-324',
      '1e-131',
      '-0',
      '-0.0',
      '-0e5',
      '2e-200',
      '9007199254740992',
      '1.7976931348623157e308',
    ]);
    const where = r.int(2);
    const body =
      where === 0
        ? withRaw(`"metadata":{"n":${value}}`)
        : json({ ...base(), media_source: { source_type: 'video_id', media_id: '123', cover_image_key_frame_time: 1 } }).replace(
            '"cover_image_key_frame_time":1',
            `"cover_image_key_frame_time":${value}`,
          );
    return { kind: 'extreme number', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body };
  },
  (r) => {
    const lone = r.pick(LONE_SURROGATES);
    const fields = [
      withRaw(`"metadata":{"s":"x${lone}y"}`),
      withRaw(`"metadata":{"k${lone}":1}`),
      withRaw(`"metadata":{"l":["${lone}"]}`),
      json({ ...base(), title: 'T' }).replace('"title":"T"', `"title":"Walnut ${lone}"`),
      json({ ...base(), description: 'D' }).replace('"description":"D"', `"description":"${lone}"`),
      json({ ...base(), link: 'https://e.com/L' }).replace('"link":"https://e.com/L"', `"link":"https://e.com/${lone}"`),
    ];
    return { kind: 'lone surrogate', method: 'POST', path: '/v1/pins', headers: JSON_HEADERS, body: r.pick(fields) };
  },
  (r) => ({
    kind: 'reserved metadata key',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: withRaw(
      `"metadata":${r.pick(['{"":1}', '{"a":{"":1}}', '{"__proto__":{"polluted":true}}', '{"a":[{"__proto__":1}]}', '{"constructor":1}', '{"constructor":{"name":"Set"}}', '{"x":{"constructor":"y"}}'])}`,
    ),
  }),
  (r) => ({
    kind: 'astral title',
    method: 'POST',
    path: '/v1/pins',
    headers: JSON_HEADERS,
    body: json({ ...base(), title: r.pick(['😀', '𝄞', '🇺🇸', '\u{1F9D1}\u200D\u{1F4BB}']).repeat(101 + r.int(10)) }),
  }),
  (r) => {
    const [method, path] = r.pick([
      ['GET', '/v1/accounts/%zz'],
      ['PUT', '/v1/accounts/%'],
      ['PUT', '/v1/accounts/acct%'],
      ['GET', '/v1/jobs/%E0%A4%A'],
      ['GET', '/v1/jobs/%ED%A0%80'],
      ['POST', '/v1/jobs/%C0%AF/cancel'],
      ['POST', '/v1/jobs/%ff/requeue'],
      ['GET', '/v1/accounts/%%32%65'],
    ] as const);
    return {
      kind: 'malformed path',
      method,
      path,
      headers: JSON_HEADERS,
      ...(method === 'GET' ? {} : { body: json({ access_token: 'x' }) }),
    };
  },
  (r) => {
    const token = `pina_${r.string(12)}${r.pick([' ', '\t', '\n', '\r\n', '\u0000', '\u007f', 'é', '\u00a0'])}${r.string(6)}`;
    const body = r.int(2) === 0 ? { access_token: token } : { access_token: 'pina_ok', refresh_token: token };
    return { kind: 'bad token', method: 'PUT', path: '/v1/accounts/acct', headers: JSON_HEADERS, body: json(body) };
  },
  (r) => {
    const secret = `pina_${r.string(20).replace(/[\\"]/g, 'x')}`;
    const [method, path, body] = r.pick([
      ['PUT', '/v1/accounts/acct', `{"access_token":${secret}}`],
      ['PUT', '/v1/accounts/acct', `{"access_token":"${secret}"}}`],
      ['PUT', '/v1/accounts/acct', `{"access_token":"${secret}`],
      ['PUT', '/v1/accounts/acct', secret],
      ['PUT', '/v1/accounts/acct', `{'access_token':'${secret}'}`],
      ['POST', '/v1/pins', withRaw(`"metadata":{"token":${secret}}`)],
      ['POST', '/v1/pins', `${secret}`],
    ] as const);
    return { kind: 'non-JSON with a secret', method, path, headers: JSON_HEADERS, body, secret };
  },
];

it(`answers ${REQUESTS} malformed or hostile requests with 4xx envelopes, never a 5xx, and stores no job`, async () => {
  const r = prng(SEED);
  const requests: HostileRequest[] = [];
  for (let i = 0; requests.length < REQUESTS; i++) {
    const made = generators[i % generators.length]!(r, i);
    requests.push(
      ...(Array.isArray(made) ? made : [made]).map((q) => ({
        ...q,
        headers: {
          ...(q.headers['Authorization'] === undefined ? { Authorization: `Bearer ${pipeline.apiKey}` } : {}),
          ...(q.kind !== 'missing idempotency key' && q.headers['Idempotency-Key'] === undefined
            ? { 'Idempotency-Key': `hostile-${i}` }
            : {}),
          ...q.headers,
        },
      })),
    );
  }

  const results: Array<{ kind: string; status: number; body: unknown; leaked: string[] }> = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const q = requests[next++]!;
      const response = await send(`${pipeline.apiUrl}${q.path}`, q);
      const text = response.text;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* asserted below */
      }
      results.push({
        kind: q.kind,
        status: response.status,
        body,
        leaked: q.secret ? pieces(q.secret).filter((piece) => text.includes(piece)) : [],
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  expect(results).toHaveLength(REQUESTS);
  const serverErrors = results.filter((x) => x.status >= 500);
  expect(serverErrors, JSON.stringify(serverErrors.slice(0, 3))).toEqual([]);
  const notRejected = results.filter((x) => x.status < 400);
  expect(notRejected, JSON.stringify(notRejected.slice(0, 3))).toEqual([]);
  for (const x of results) {
    expect(x.body, x.kind).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  }
  // Validation failures name the offending field. A path that cannot be percent-decoded is refused by the
  // gateway itself, before any handler, with its static 400 (no details), as API Gateway does.
  const malformedPaths = results.filter((x) => x.kind === 'malformed path');
  expect(malformedPaths.length).toBeGreaterThan(0);
  for (const x of malformedPaths) {
    expect(x).toMatchObject({ status: 400, body: { error: { code: 'validation_error', message: 'The request could not be processed.' } } });
  }
  const validation = results.filter((x) => x.status === 400 && x.kind !== 'malformed path') as Array<{
    kind: string;
    body: { error: { details?: unknown[] } };
  }>;
  expect(validation.length).toBeGreaterThan(REQUESTS / 2);
  for (const x of validation) expect(x.body.error.details?.length ?? 0, x.kind).toBeGreaterThan(0);
  // Valid JSON that cannot be stored as sent is a 400 naming the field, not a 404/413 by luck.
  for (const kind of [
    'huge integer',
    'deep metadata',
    'very deep metadata',
    'extreme number',
    'lone surrogate',
    'reserved metadata key',
    'astral title',
    'bad token',
  ]) {
    const ofKind = results.filter((x) => x.kind === kind);
    expect(ofKind.length, kind).toBeGreaterThan(0);
    expect(
      ofKind.filter((x) => x.status !== 400),
      kind,
    ).toEqual([]);
  }
  // Nothing the caller sent comes back: not even a piece of a secret around a JSON syntax error.
  const leaks = results.filter((x) => x.leaked.length > 0);
  expect(leaks, JSON.stringify(leaks.slice(0, 3))).toEqual([]);

  const dynamo = new DynamoDBClient({
    endpoint: pipeline.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const jobs = await dynamo.send(new ScanCommand({ TableName: pipeline.tableNames.jobs, Select: 'COUNT' }));
  expect(jobs.Count).toBe(0);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

  const byStatus = results.reduce<Record<number, number>>((acc, x) => ({ ...acc, [x.status]: (acc[x.status] ?? 0) + 1 }), {});
  console.info(`hostile input: ${REQUESTS} requests, statuses ${JSON.stringify(byStatus)}`);
  const byKind = results.reduce<Record<string, Record<number, number>>>((acc, x) => {
    const counts = (acc[x.kind] ??= {});
    counts[x.status] = (counts[x.status] ?? 0) + 1;
    return acc;
  }, {});
  console.info(`hostile input by kind: ${JSON.stringify(byKind)}`);
}, 120_000);
