import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Job, JobList } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, drainQueue, pin, testPipeline, waitFor, type ApiResponse, type Caller, type ErrorBody } from './harness.ts';

/** Intake, jobs and accounts API over real HTTP against DynamoDB Local, fauxqs and the stand-ins. */
let pipeline: Pipeline;
let api: Caller;

const ACCESS_TOKEN = 'pina_SECRET_access_token_value_4242';
const REFRESH_TOKEN = 'pinr_SECRET_refresh_token_value_4242';

beforeAll(async () => {
  pipeline = await testPipeline({ worker: false }); // intake only: jobs stay queued
  api = callerFor(pipeline, pipeline.apiKey);
  const connected = await api('PUT', '/v1/accounts/acme-main', {
    body: { access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, expires_at: '2030-01-01T00:00:00Z', rate_limit_per_minute: 60 },
  });
  expect(connected.status).toBe(200);
  expect((await api('PUT', '/v1/accounts/burst', { body: { access_token: 'burst-token' } })).status).toBe(200);
});

afterAll(async () => {
  await pipeline?.stop();
});

describe('POST /v1/pins then GET /v1/jobs/{id}', () => {
  it('accepts a pin as a queued job and serves it back', async () => {
    const created = await api<Job>('POST', '/v1/pins', { body: pin(), headers: { 'Idempotency-Key': 'post-then-get' } });
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/v1/jobs/${created.body.id}`);
    expect(created.body).toMatchObject({
      status: 'queued',
      idempotency_key: 'post-then-get',
      account_id: 'acme-main',
      pin: { board_id: '987654321', media_source: { source_type: 'image_url' } },
      attempt_count: 0,
      attempts: [],
      result: null,
      failure: null,
    });
    expect(created.body.id).toMatch(/^job_[0-9a-z]{26}$/);
    expect(created.body.pin).not.toHaveProperty('account_id');

    const read = await api('GET', `/v1/jobs/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it('replays the same key and body as 200 with Idempotent-Replayed, even with keys reordered', async () => {
    const first = await api<Job>('POST', '/v1/pins', { body: pin(), headers: { 'Idempotency-Key': 'replay-1' } });
    const reordered = Object.fromEntries(Object.entries(pin()).reverse());
    const again = await api<Job>('POST', '/v1/pins', { body: reordered, headers: { 'Idempotency-Key': 'replay-1' } });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
  });

  it('refuses the same key with another body as 422 idempotency_key_reused', async () => {
    await api('POST', '/v1/pins', { body: pin(), headers: { 'Idempotency-Key': 'reuse-1' } });
    const other = await api<ErrorBody>('POST', '/v1/pins', {
      body: pin({ title: 'Another table' }),
      headers: { 'Idempotency-Key': 'reuse-1' },
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('turns 50 concurrent identical requests into exactly one job', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        api<Job>('POST', '/v1/pins', {
          body: pin({ account_id: 'burst', title: 'Concurrent' }),
          headers: { 'Idempotency-Key': 'burst-50' },
        }),
      ),
    );
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);

    const listed = await api<JobList>('GET', '/v1/jobs?limit=100');
    expect(listed.body.items.filter((j: { idempotency_key: string }) => j.idempotency_key === 'burst-50')).toHaveLength(1);
    // And the outbox sends it once: one message in its FIFO group.
    await pipeline.relayDrained();
    const sent = await drainQueue(pipeline, pipeline.queueUrls.publish);
    const forJob = sent.filter((m) => JSON.parse(m.Body!).job_id === [...ids][0]);
    expect(forJob).toHaveLength(1);
    expect(forJob[0]!.Attributes).toMatchObject({
      MessageGroupId: `${pipeline.tenantId}#burst`,
      MessageDeduplicationId: `${[...ids][0]}-v1`,
    });
  });

  it('stores a job with publish_at in the future as scheduled', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api('POST', '/v1/pins', { body: pin({ publish_at: at }), headers: { 'Idempotency-Key': 'sched-1' } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'scheduled', publish_at: at, next_attempt_at: at });
  });

  it('answers 404 for a job for an account that is not connected, and stores nothing', async () => {
    const missing = await api<ErrorBody>('POST', '/v1/pins', {
      body: pin({ account_id: 'nobody' }),
      headers: { 'Idempotency-Key': 'no-account' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not_found', details: [{ path: 'account_id' }] });
    const listed = await api<JobList>('GET', '/v1/jobs?account_id=nobody');
    expect(listed.body.items).toEqual([]);
  });
});

/** `depth` levels of objects, counting the outer one. */
const nested = (depth: number): Record<string, unknown> => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
};

describe('POST /v1/pins refuses what it cannot store, and stores exactly what it accepts', () => {
  const post = (key: string, rawBody: string) => api<ErrorBody>('POST', '/v1/pins', { rawBody, headers: { 'Idempotency-Key': key } });
  const withRaw = (fragment: string) => `${JSON.stringify(pin()).slice(0, -1)},${fragment}}`;

  it.each<[string, string, string]>([
    // JSON.parse rounds it to 12345678901234567000, and the DynamoDB document client refuses numbers beyond 2^53.
    ['an integer beyond 2^53 in metadata', withRaw('"metadata":{"post_id":12345678901234567890}'), 'metadata.post_id'],
    ['metadata 40 levels deep, under 2 KB', withRaw(`"metadata":${JSON.stringify(nested(40))}`), `metadata${'.a'.repeat(30)}`],
    [
      'a key-frame time of 1e300',
      JSON.stringify(pin({ media_source: { source_type: 'video_id', media_id: '123', cover_image_key_frame_time: 1e300 } })),
      'media_source.cover_image_key_frame_time',
    ],
    ['negative zero in metadata', withRaw('"metadata":{"n":-0}'), 'metadata.n'],
    ['a number below 1e-130 in metadata', withRaw('"metadata":{"n":1e-200}'), 'metadata.n'],
    ['1e400 (Infinity) in metadata', withRaw('"metadata":{"n":1e400}'), 'metadata.n'],
    ['an empty metadata key', withRaw('"metadata":{"":1}'), 'metadata'],
    ['a nested __proto__ key', withRaw('"metadata":{"a":{"__proto__":{"x":1}}}'), 'metadata.a'],
    ['a constructor key (the DynamoDB marshaller reads it)', withRaw('"metadata":{"constructor":" "}'), 'metadata'],
    ['a lone surrogate in metadata, as JSON escapes it', withRaw('"metadata":{"s":"\\ud800"}'), 'metadata.s'],
    ['a lone surrogate in a metadata key', withRaw('"metadata":{"\\udc00":1}'), 'metadata'],
    ['a lone surrogate in the title', JSON.stringify(pin({ title: 'Walnut \ud83d' })), 'title'],
    ['101 astral characters as title', JSON.stringify(pin({ title: '𝄞'.repeat(101) })), 'title'],
  ])('answers 400 with the field path for %s', async (_name, body, path) => {
    const key = `unstorable-${path}-${body.length}`;
    const answer = await post(key, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      code: 'validation_error',
      details: expect.arrayContaining([expect.objectContaining({ path })]),
    });
  });

  it('stores the deepest, largest and smallest values it accepts and reads them back unchanged', async () => {
    const metadata = {
      post_id: Number.MAX_SAFE_INTEGER,
      negative: -Number.MAX_SAFE_INTEGER,
      tiny: 1e-130,
      third: 1 / 3,
      astral: '😀 𝄞',
      nul: '\u0000',
      empty: { o: {}, l: [], s: '' },
      deep: nested(29), // metadata itself is level 1
    };
    const pinSent = pin({
      title: '𝄞'.repeat(100),
      media_source: { source_type: 'video_id', media_id: '123', cover_image_key_frame_time: 2.5 },
    });
    const created = await api<Job>('POST', '/v1/pins', {
      body: { ...pinSent, metadata },
      headers: { 'Idempotency-Key': 'storable-extremes' },
    });
    expect(created.status).toBe(202);
    const read = await api<Job>('GET', `/v1/jobs/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.metadata).toStrictEqual(metadata);
    const { account_id: _account, ...pinFields } = pinSent;
    expect(read.body.pin).toStrictEqual(pinFields);
  });
});

describe('GET /v1/jobs', () => {
  it('lists newest first with filters and cursor pagination', async () => {
    const tenant = await pipeline.createTenant('lister');
    const mine = callerFor(pipeline, tenant.apiKey);
    await mine('PUT', '/v1/accounts/a1', { body: { access_token: 't1' } });
    await mine('PUT', '/v1/accounts/a2', { body: { access_token: 't2' } });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const account = i % 2 === 0 ? 'a1' : 'a2';
      const created = await mine<Job>('POST', '/v1/pins', {
        body: pin({ account_id: account, title: `n${i}` }),
        headers: { 'Idempotency-Key': `list-${i}` },
      });
      ids.push(created.body.id);
      const createdAt = Date.parse(created.body.created_at);
      await waitFor(() => Date.now(), {
        until: (now) => now > createdAt,
        what: 'the clock to pass the last created_at (distinct sort keys)',
        everyMs: 1,
      });
    }
    await mine('POST', `/v1/jobs/${ids[0]}/cancel`);

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<JobList> = await mine<JobList>(
        'GET',
        `/v1/jobs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      pages.push(...page.body.items.map((j) => j.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(pages).toEqual([...ids].reverse());

    const a1 = await mine<JobList>('GET', '/v1/jobs?account_id=a1');
    expect(a1.body.items.map((j: { id: string }) => j.id)).toEqual([ids[6], ids[4], ids[2], ids[0]]);
    const cancelled = await mine<JobList>('GET', '/v1/jobs?status=cancelled');
    expect(cancelled.body.items.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
    const a1Queued = await mine<JobList>('GET', '/v1/jobs?status=queued&account_id=a1');
    expect(a1Queued.body.items.map((j: { id: string }) => j.id)).toEqual([ids[6], ids[4], ids[2]]);

    const bad = await mine<ErrorBody>('GET', '/v1/jobs?status=done&limit=500&color=blue');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.path).sort()).toEqual(['query.color', 'query.limit', 'query.status']);
  });
});

describe('POST /v1/jobs/{id}/cancel', () => {
  it('cancels a queued job once; a second cancel is a 409 conflict', async () => {
    const created = await api<Job>('POST', '/v1/pins', { body: pin({ title: 'cancel me' }), headers: { 'Idempotency-Key': 'cancel-1' } });
    const cancelled = await api<Job>('POST', `/v1/jobs/${created.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.status_history.map((s: { status: string }) => s.status)).toEqual(['queued', 'cancelled']);
    const again = await api<ErrorBody>('POST', `/v1/jobs/${created.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('answers 404 for unknown and malformed job ids', async () => {
    expect((await api('POST', '/v1/jobs/job_00000000000000000000000000/cancel')).status).toBe(404);
    expect((await api('GET', '/v1/jobs/not-a-job-id')).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  it("answers 404 when tenant B reads or cancels tenant A's job, and B's listing never shows it", async () => {
    const a = await api<Job>('POST', '/v1/pins', { body: pin({ title: 'A only' }), headers: { 'Idempotency-Key': 'isolation-1' } });
    const tenantB = await pipeline.createTenant('tenant-b');
    const b = callerFor(pipeline, tenantB.apiKey);

    expect((await b('GET', `/v1/jobs/${a.body.id}`)).status).toBe(404);
    expect((await b('POST', `/v1/jobs/${a.body.id}/cancel`)).status).toBe(404);
    expect((await b('GET', '/v1/accounts/acme-main')).status).toBe(404);
    expect((await b<JobList>('GET', '/v1/jobs')).body.items).toEqual([]);
    // B's POST with the same key and account is B's own concern: the account is not B's.
    expect((await b('POST', '/v1/pins', { body: pin({ title: 'A only' }), headers: { 'Idempotency-Key': 'isolation-1' } })).status).toBe(
      404,
    );

    // A cursor minted for A's listing is refused to B rather than paging through A's partition.
    const aPage = await api<JobList>('GET', '/v1/jobs?limit=1');
    expect(aPage.body.next_cursor).toBeTruthy();
    const stolen = await b<ErrorBody>('GET', `/v1/jobs?limit=1&cursor=${encodeURIComponent(aPage.body.next_cursor!)}`);
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.details?.[0]?.path).toBe('cursor');
  });

  it('rejects missing, malformed and unknown API keys with 401 in the error envelope', async () => {
    for (const authorization of [undefined, 'Bearer', 'Basic abc', 'Bearer prk_unknown']) {
      const response = await fetch(`${pipeline.apiUrl}/v1/jobs`, { headers: authorization ? { Authorization: authorization } : {} });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: 'Missing or invalid API key.' } });
    }
  });
});

describe('accounts', () => {
  it('never echoes tokens and keeps them out of the tables: they live in Secrets Manager only', async () => {
    const read = await api('GET', '/v1/accounts/acme-main');
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      account_id: 'acme-main',
      connection_status: 'connected',
      token_expires_at: '2030-01-01T00:00:00.000Z',
      refresh_token_expires_at: null,
      has_refresh_token: true,
      rate_limit_per_minute: 60,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(read.body)).not.toContain('SECRET');

    const dynamo = new DynamoDBClient({
      endpoint: pipeline.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    for (const table of [pipeline.tableNames.jobs, pipeline.tableNames.tenants]) {
      const scan = await dynamo.send(new ScanCommand({ TableName: table }));
      expect(JSON.stringify(scan.Items)).not.toContain('SECRET');
    }
    const stored = pipeline.secrets.storedSecretStrings().filter((s) => s.includes(ACCESS_TOKEN));
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!)).toMatchObject({ access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN });
  });

  it('replaces the connection on a second PUT and keeps created_at', async () => {
    const before = await api<Account>('GET', '/v1/accounts/acme-main');
    const replaced = await api<Account>('PUT', '/v1/accounts/acme-main', {
      body: {
        access_token: `${ACCESS_TOKEN}-v2`,
        refresh_token: REFRESH_TOKEN,
        expires_at: '2030-01-01T00:00:00Z',
        rate_limit_per_minute: 60,
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.created_at).toBe(before.body.created_at);
    const current = pipeline.secrets.secrets().find((s) => s.name.endsWith(`/${pipeline.tenantId}/acme-main`));
    const active = current?.versions.find((v) => v.stages.includes('AWSCURRENT'));
    expect(JSON.parse(active!.secretString!).access_token).toBe(`${ACCESS_TOKEN}-v2`);
  });

  it('validates the PUT body and the account id', async () => {
    const bad = await api<ErrorBody>('PUT', '/v1/accounts/acme-main', { body: { access_token: '', rate_limit_per_minute: 0, extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details?.map((d) => d.path).sort()).toEqual(['access_token', 'extra', 'rate_limit_per_minute']);
    expect((await api('PUT', '/v1/accounts/bad%23id', { body: { access_token: 'x' } })).status).toBe(400);
    expect((await api('GET', '/v1/accounts/never-connected')).status).toBe(404);
  });
});

describe('input never echoed, paths that cannot be decoded', () => {
  // JSON.parse quotes about ten characters around the error (`Unexpected token 'p', ..."ss_token":pina_SECRE"...`),
  // so any 5-character piece of the token in the answer counts as a leak.
  it('answers unparseable JSON without quoting the body, even when it holds a token', async () => {
    const token = 'pina_Zq8XkW3vR7tYb2';
    const pieces = Array.from({ length: token.length - 4 }, (_, i) => token.slice(i, i + 5));
    for (const rawBody of [
      `{"access_token":${token}}`,
      `${token}`,
      `{"access_token":"${token}"}}`,
      `{"access_token":"${token}`,
      `{"access_token":"${token}\u0001"}`,
    ]) {
      const answer = await api<ErrorBody>('PUT', '/v1/accounts/acme-main', { rawBody });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'validation_error', details: [{ path: '(root)' }] });
      const text = JSON.stringify(answer.body);
      expect(
        pieces.filter((piece) => text.includes(piece)),
        rawBody,
      ).toEqual([]);
    }
  });

  it.each<[string, string]>([
    ['access_token', 'pina_with space'],
    ['access_token', 'pina_tab\t'],
    ['access_token', 'pina_newline\n'],
    ['refresh_token', 'pinr_\u0000'],
    ['refresh_token', 'pinr_é'],
  ])('refuses a %s with a space or control character: 400 at the field', async (field, token) => {
    const body = { access_token: 'pina_ok', [field]: token };
    const answer = await api<ErrorBody>('PUT', '/v1/accounts/token-shape', { body });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details).toEqual([{ path: field, message: expect.any(String) }]);
    expect((await api('GET', '/v1/accounts/token-shape')).status).toBe(404);
  });

  it.each<[string, string]>([
    ['GET', '/v1/accounts/%zz'],
    ['PUT', '/v1/accounts/%'],
    ['GET', '/v1/jobs/%E0%A4%A'],
    ['POST', '/v1/jobs/%ED%A0%80/cancel'], // a UTF-8-encoded lone surrogate
  ])('answers %s %s (malformed percent-encoding) with a 400 envelope, not a 5xx', async (method, path) => {
    const answer = await api(method, path, method === 'PUT' ? { body: { access_token: 'x' } } : {});
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: 'validation_error', message: expect.any(String) } });
  });
});

describe('GET /v1/openapi.json', () => {
  it('serves the generated document without a key', async () => {
    const response = await fetch(`${pipeline.apiUrl}/v1/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.0/);
    expect(Object.keys(doc.paths)).toContain('/v1/pins');
  });
});
