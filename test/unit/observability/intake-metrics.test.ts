import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT, TENANT } from '../builders.ts';
import type { fakeDeps } from '../fakes.ts';
import { captureOutput, freshPowertools, logRecords, metricSum, type Captured } from './powertools-output.ts';

/** POST /v1/pins through the create-pin handler: accepted, replayed and rejected, as Powertools prints them. */

const NOW = '2026-03-01T12:00:00.000Z';
const FIXTURE: APIGatewayProxyEvent = JSON.parse(
  readFileSync(new URL('../../fixtures/api-gateway-proxy-event.json', import.meta.url), 'utf8'),
);

let deps: ReturnType<typeof fakeDeps>;
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
let b: typeof import('../builders.ts');
let out: Captured;

beforeAll(async () => {
  freshPowertools();
  vi.doMock('../../../lambdas/common/deps/jobs.ts', () => ({
    jobStore: () => deps.jobs,
    clock: { now: () => deps.clock.now() },
  }));
  vi.doMock('../../../lambdas/common/deps/tenants.ts', () => ({ tenantStore: () => deps.tenants }));
  ({ handler } = await import('../../../lambdas/create-pin/handler.ts'));
  b = await import('../builders.ts');
  const f = await import('../fakes.ts');
  deps = f.fakeDeps(NOW);
  deps.tenants.accounts.set(`${TENANT}/${ACCOUNT}`, f.accountRecord(TENANT, ACCOUNT, NOW));
});
afterAll(() => {
  vi.doUnmock('../../../lambdas/common/deps/jobs.ts');
  vi.doUnmock('../../../lambdas/common/deps/tenants.ts');
  vi.unstubAllEnvs();
  vi.resetModules();
});
beforeEach(() => {
  out = captureOutput();
});
afterEach(() => out.restore());

function post(body: unknown, headers: Record<string, string | undefined> = {}): Promise<APIGatewayProxyResult> {
  const event = structuredClone(FIXTURE);
  event.headers = { ...event.headers, ...headers } as Record<string, string>;
  for (const [name, value] of Object.entries(headers)) if (value === undefined) delete event.headers[name];
  event.multiValueHeaders = {};
  event.body = typeof body === 'string' ? body : JSON.stringify(body);
  event.requestContext.authorizer = { tenant_id: TENANT };
  return handler(event, b.lambdaContext());
}

describe('create-pin metrics', () => {
  it('a new job: JobsAccepted; the same key and body again: JobsReplayed', async () => {
    const request = b.pinRequest();
    await expect(post(request, { 'Idempotency-Key': 'cms-accepted' })).resolves.toMatchObject({ statusCode: 202 });
    expect(metricSum(out.lines, 'JobsAccepted')).toBe(1);
    expect(metricSum(out.lines, 'JobsReplayed')).toBe(0);
    expect(metricSum(out.lines, 'ApiResponses', { status_class: '2xx' })).toBe(1);

    out.clear();
    await expect(post(request, { 'Idempotency-Key': 'cms-accepted' })).resolves.toMatchObject({ statusCode: 200 });
    expect(metricSum(out.lines, 'JobsReplayed')).toBe(1);
    expect(metricSum(out.lines, 'JobsAccepted')).toBe(0);
  });

  it.each([
    ['no Idempotency-Key', () => post(b.pinRequest(), { 'Idempotency-Key': undefined }), 400, 'validation_error'],
    ['a body that is not JSON', () => post('{"title": ', { 'Idempotency-Key': 'cms-bad-json' }), 400, 'validation_error'],
    [
      'an account that is not connected',
      () => post(b.pinRequest({ account_id: 'nobody' }), { 'Idempotency-Key': 'cms-nobody' }),
      404,
      'not_found',
    ],
    [
      'the same key with another body',
      async () => {
        await post(b.pinRequest(), { 'Idempotency-Key': 'cms-reused' });
        out.clear();
        return post(b.pinRequest({ title: 'Another title' }), { 'Idempotency-Key': 'cms-reused' });
      },
      422,
      'idempotency_key_reused',
    ],
  ] as const)('%s: JobsRejected{code} and its total, a 4xx answer', async (_what, send, status, code) => {
    await expect(send()).resolves.toMatchObject({ statusCode: status });

    expect(metricSum(out.lines, 'JobsRejected', { code })).toBe(1);
    expect(metricSum(out.lines, 'JobsRejected')).toBe(1);
    expect(metricSum(out.lines, 'JobsAccepted') + metricSum(out.lines, 'JobsReplayed')).toBe(0);
    expect(metricSum(out.lines, 'ApiResponses', { status_class: '4xx' })).toBe(1);
  });
});

describe('create-pin logs', () => {
  it('the accepted job with tenant, account, idempotency key and job id as keys', async () => {
    const response = await post(b.pinRequest(), { 'Idempotency-Key': 'cms-logged' });
    const job = JSON.parse(response.body) as { id: string };

    expect(logRecords(out.lines).find((l) => l.message === 'job accepted')).toMatchObject({
      level: 'INFO',
      tenant_id: TENANT,
      account_id: ACCOUNT,
      idempotency_key: 'cms-logged',
      job_id: job.id,
    });
  });
});
