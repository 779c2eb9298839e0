import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../../lambdas/domain/job.ts';
import { lambdaContext, TENANT } from '../builders.ts';
import { captureOutput, freshPowertools, type Captured } from '../observability/powertools-output.ts';

/**
 * Every job leaves the API through one serializer (lambdas/api/serialize.ts): in the schema's key order,
 * whatever order the store handed the attributes back in, so GET and a listing answer the same JSON.
 */

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyResult>;

const FIXTURE: APIGatewayProxyEvent = JSON.parse(
  readFileSync(new URL('../../fixtures/api-gateway-proxy-event.json', import.meta.url), 'utf8'),
);

/** The value with the keys of every object in reverse order: how a store may hand back a map's attributes. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

let b: typeof import('../builders.ts');
let s: typeof import('../../../lambdas/api/serialize.ts');
let wire: typeof import('../../../lambdas/api/schemas.ts');
let getJob: Handler;
let listJobs: Handler;
let stored: { get: JobRecord; listed: JobRecord };
let out: Captured;

beforeAll(async () => {
  freshPowertools();
  vi.doMock('../../../lambdas/common/deps/jobs.ts', () => ({
    jobStore: () => ({
      get: async () => stored.get,
      list: async () => ({ items: [stored.listed], nextCursor: null }),
    }),
  }));
  ({ handler: getJob } = (await import('../../../lambdas/get-job/handler.ts')) as unknown as { handler: Handler });
  ({ handler: listJobs } = (await import('../../../lambdas/list-jobs/handler.ts')) as unknown as { handler: Handler });
  b = await import('../builders.ts');
  s = await import('../../../lambdas/api/serialize.ts');
  wire = await import('../../../lambdas/api/schemas.ts');
  out = captureOutput();
});
afterEach(() => out.clear());
afterAll(() => {
  out.restore();
  vi.doUnmock('../../../lambdas/common/deps/jobs.ts');
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** A failed job with an attempt, a failure, incidents, a carousel and metadata: every nested object the schema orders. */
function richRecord(): JobRecord {
  const request = b.pinRequest({
    media_source: {
      source_type: 'multiple_image_urls',
      items: [
        { url: 'https://example.com/a.jpg', title: 'A', link: 'https://example.com/a' },
        { url: 'https://example.com/b.jpg', description: 'B' },
      ],
      index: 1,
    },
    metadata: { zeta: 1, alpha: { y: 2, x: 3 } },
  });
  const running = b.jobRecord({ status: 'running', request });
  return {
    ...running,
    job: {
      ...running.job,
      status: 'failed',
      attempt_count: 1,
      attempts: [
        {
          number: 1,
          started_at: b.T0,
          finished_at: b.T0,
          outcome: 'stop',
          http_status: 404,
          error_code: 40,
          error_message: 'Board not found.',
          retry_at: null,
        },
      ],
      failure: {
        route: 'ops',
        reason: 'board_not_found',
        http_status: 404,
        error_code: 40,
        message: 'Board not found.',
        remediation: 'Check board_id.',
      },
      incidents: [{ at: b.T0, kind: 'message_dead_lettered', queue: 'publish', receive_count: 3, detail: 'dead-lettered' }],
    },
  };
}

describe('one serializer for every job that leaves the API', () => {
  it('a listed job and the same job fetched with GET serialize to the identical JSON string, whatever order the store answered in', async () => {
    const record = richRecord();
    stored = { get: record, listed: { ...record, job: reversedKeys(record.job) as JobRecord['job'] } };
    // Without one serializer the two would differ: the store's answers are not in the same order.
    expect(JSON.stringify(stored.listed.job)).not.toBe(JSON.stringify(stored.get.job));

    const fetched = await getJob(
      { ...FIXTURE, httpMethod: 'GET', body: null, pathParameters: { job_id: record.job.id } },
      lambdaContext('pinrelay-get-job'),
    );
    const listed = await listJobs(
      { ...FIXTURE, httpMethod: 'GET', body: null, queryStringParameters: {} },
      lambdaContext('pinrelay-list-jobs'),
    );

    expect(fetched.statusCode).toBe(200);
    expect(listed.statusCode).toBe(200);
    const item = (JSON.parse(listed.body) as { items: unknown[] }).items[0];
    expect(JSON.stringify(item)).toBe(fetched.body);
    expect(JSON.parse(fetched.body)).toEqual(record.job);
  });

  it('writes keys in the schema order at every depth, metadata keys sorted at every depth, and leaves out keys the schema does not name', () => {
    const record = richRecord();
    const shuffled = { ...(reversedKeys(record.job) as object), tenant_id: TENANT, secret: 'never' } as unknown as JobRecord['job'];

    const json = s.jobJson(shuffled) as unknown as Record<string, unknown> & {
      pin: Record<string, unknown> & { media_source: { items: object[] } };
    };

    expect(Object.keys(json)).toEqual(Object.keys(wire.Job.shape));
    expect(Object.keys(json.pin)).toEqual(Object.keys(wire.PinFields.shape).filter((k) => k in record.job.pin));
    expect(Object.keys(json.pin.media_source)).toEqual(['source_type', 'items', 'index']);
    expect(Object.keys(json.pin.media_source.items[0]!)).toEqual(['url', 'title', 'link']);
    expect(Object.keys((json.attempts as object[])[0]!)).toEqual(Object.keys(wire.Attempt.shape));
    expect(Object.keys(json.failure as object)).toEqual(Object.keys(wire.JobFailure.shape).filter((k) => k !== 'candidate_pin_ids'));
    expect(Object.keys((json.incidents as object[])[0]!)).toEqual(Object.keys(wire.Incident.shape));
    // The metadata has no schema order: its keys are sorted, at every depth, whatever order they came in.
    expect(JSON.stringify(json.metadata)).toBe('{"alpha":{"x":3,"y":2},"zeta":1}');
    expect(JSON.stringify(s.jobJson(record.job).metadata)).toBe('{"alpha":{"x":3,"y":2},"zeta":1}'); // sent as {zeta, alpha: {y, x}}
    expect(json).not.toHaveProperty('tenant_id');
    expect(json).not.toHaveProperty('secret');
    expect(json).toEqual(record.job);
  });

  it('orders accounts, webhooks and the rate the same way', () => {
    const account = {
      account_id: 'acme-main',
      connection_status: 'connected' as const,
      token_expires_at: null,
      refresh_token_expires_at: null,
      has_refresh_token: true,
      rate_limit_per_minute: null,
      created_at: b.T0,
      updated_at: b.T0,
    };
    expect(Object.keys(s.accountJson(reversedKeys(account) as typeof account))).toEqual(Object.keys(wire.Account.shape));
    const webhook = {
      id: 'whk_1',
      url: 'https://hooks.example.com/x',
      events: ['job.failed' as const],
      description: null,
      created_at: b.T0,
      secret: 'whsec_x',
    };
    expect(Object.keys(s.webhookWithSecretJson(reversedKeys(webhook) as typeof webhook))).toEqual(
      Object.keys(wire.WebhookWithSecret.shape),
    );
    expect(Object.keys(s.webhookJson(reversedKeys(webhook) as typeof webhook))).toEqual(Object.keys(wire.Webhook.shape));
  });
});
