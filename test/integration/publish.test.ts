import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import type { PinterestSandbox } from '../../local/pinterest-sandbox.ts';
import { callerFor, sqsOf, testPipeline, waitFor, waitForJob, waitForPipelineIdle, type Caller } from './harness.ts';

const settle = (jobId: string, timeoutMs?: number) => waitForJob(api, jobId, timeoutMs);

/**
 * Execution against the Pinterest sandbox over real HTTP (the outcome classes of lambdas/domain/classify.ts): each test uses
 * its own account (its own sandbox user and board), so FIFO groups and buckets do not interfere.
 */
let pipeline: Pipeline;
let sandbox: PinterestSandbox;
let api: Caller;
let accounts = 0;

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    pinterestTimeoutMs: 1_500,
  });
  sandbox = pipeline.sandbox!;
  api = callerFor(pipeline, pipeline.apiKey);
});

afterAll(async () => {
  await pipeline?.stop();
});

/** A fresh Pinterest user + connected account; returns the account id and its board. */
async function account(rate?: number): Promise<{ accountId: string; boardId: string; user: string }> {
  accounts++;
  const user = `user${accounts}`;
  const boardId = `${900000 + accounts}`;
  const tokens = sandbox.addUser({ username: user, boards: [boardId] });
  const put = await api('PUT', `/v1/accounts/acct-${accounts}`, {
    body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, ...(rate ? { rate_limit_per_minute: rate } : {}) },
  });
  expect(put.status).toBe(200);
  return { accountId: `acct-${accounts}`, boardId, user };
}

/** The creates (POST /v5/pins) Pinterest received for `user`, answered or not. */
const createsOf = (user: string) => sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins');

async function submit(accountId: string, boardId: string, key: string, extra: Record<string, unknown> = {}): Promise<Job> {
  const created = await api('POST', '/v1/pins', {
    body: {
      account_id: accountId,
      board_id: boardId,
      title: `pin ${key}`,
      link: `https://shop.example.com/${key}`,
      media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
      ...extra,
    },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status).toBe(202);
  return created.body as Job;
}

describe('publishing', () => {
  it('happy path: queued → running → succeeded with the pin id, in seconds', async () => {
    const { accountId, boardId } = await account();
    const started = Date.now();
    const job = await settle((await submit(accountId, boardId, 'happy')).id);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(job.status).toBe('succeeded');
    expect(job.status_history.map((s) => s.status)).toEqual(['queued', 'running', 'succeeded']);
    const pins = sandbox.pins({ boardId });
    expect(pins).toHaveLength(1);
    expect(job.result).toEqual({ pin_id: pins[0]!.id, pin_url: `https://www.pinterest.com/pin/${pins[0]!.id}/`, verified: false });
    expect(job.attempts).toMatchObject([{ number: 1, outcome: 'succeeded' }]);
  });

  it('400 ⇒ failed, route client, after one attempt', async () => {
    const { accountId, boardId, user } = await account();
    sandbox.inject({ kind: 'invalid', message: 'Invalid URL' }, { match: { user } });
    const job = await settle((await submit(accountId, boardId, 'bad-request')).id);
    expect(job.status).toBe('failed');
    expect(job.attempt_count).toBe(1);
    expect(job.failure).toMatchObject({ route: 'client', http_status: 400, error_code: 1 });
    expect(job.failure!.remediation.length).toBeGreaterThan(20);
    expect(sandbox.pins({ boardId })).toHaveLength(0);
  });

  it('404 code 40 ⇒ failed, route ops, with a remediation naming the board', async () => {
    const { accountId } = await account();
    const job = await settle((await submit(accountId, '55555', 'no-board')).id);
    expect(job.status).toBe('failed');
    expect(job.failure).toMatchObject({ route: 'ops', reason: 'board_not_found', http_status: 404, error_code: 40 });
    expect(job.failure!.remediation).toContain('55555');
  });

  it('5xx twice then 201 ⇒ succeeded after 3 attempts, each retry after its jittered, growing bound', async () => {
    const { accountId, boardId, user } = await account();
    sandbox.inject({ kind: 'status', status: 503 }, { times: 2, match: { user } });
    const job = await settle((await submit(accountId, boardId, 'flaky')).id);
    expect(job.status).toBe('succeeded');
    expect(job.attempt_count).toBe(3);
    expect(job.attempts.map((a) => a.outcome)).toEqual(['retry_now', 'retry_now', 'succeeded']);
    expect(job.status_history.map((h) => h.status)).toEqual([
      'queued',
      'running',
      'retry_scheduled',
      'queued',
      'running',
      'retry_scheduled',
      'queued',
      'running',
      'succeeded',
    ]);
    // Full jitter: delay n is drawn from (0, base × 2^(n−1)] whole seconds, base 0.5 s here.
    for (const [i, a] of job.attempts.slice(0, 2).entries()) {
      const delay = (Date.parse(a.retry_at!) - Date.parse(a.finished_at!)) / 1000;
      expect(delay).toBeGreaterThan(0);
      expect(delay).toBeLessThanOrEqual(Math.ceil(0.5 * 2 ** i) + 0.01);
      expect(Date.parse(job.attempts[i + 1]!.started_at)).toBeGreaterThanOrEqual(Date.parse(a.retry_at!) - 500);
    }
    expect(sandbox.pins({ boardId })).toHaveLength(1);
  });

  it('429 with Retry-After: 3 ⇒ not retried before 3 s', async () => {
    const { accountId, boardId, user } = await account();
    sandbox.inject({ kind: 'rate_limit', retryAfterSeconds: 3 }, { match: { user } });
    const job = await settle((await submit(accountId, boardId, 'retry-after')).id);
    expect(job.status).toBe('succeeded');
    const [first, second] = job.attempts;
    expect(first).toMatchObject({ outcome: 'retry_later', http_status: 429, error_code: 8 });
    expect(Date.parse(second!.started_at) - Date.parse(first!.finished_at!)).toBeGreaterThanOrEqual(3_000 - 500);
    const creates = sandbox.requests().filter((r) => r.user === user && r.method === 'POST');
    expect(Date.parse(new Date(creates[1]!.at).toISOString()) - creates[0]!.at).toBeGreaterThanOrEqual(2_900);
  });

  it('create succeeds but the connection drops ⇒ exactly one pin, job succeeded and verified', async () => {
    const { accountId, boardId, user } = await account();
    sandbox.inject({ kind: 'drop_after_create' }, { match: { user } });
    const job = await settle((await submit(accountId, boardId, 'dropped')).id, 40_000);
    expect(job.status).toBe('succeeded');
    const pins = sandbox.pins({ boardId });
    expect(pins).toHaveLength(1);
    expect(job.result).toMatchObject({ pin_id: pins[0]!.id, verified: true });
    expect(job.attempts.map((a) => a.outcome)).toEqual(['unknown', 'succeeded']);
    // The second attempt listed the board and created nothing.
    expect(sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins')).toHaveLength(1);
  }, 60_000);

  it('the same message delivered twice (and to another group, concurrently) ⇒ one create', async () => {
    const { accountId, boardId, user } = await account();
    sandbox.inject({ kind: 'slow', delayMs: 1_000 }, { match: { user } });
    const created = await submit(accountId, boardId, 'dup-delivery');
    const sqs = sqsOf(pipeline);
    const body = JSON.stringify({ job_id: created.id, tenant_id: pipeline.tenantId, version: 1 });
    await waitFor(() => createsOf(user).length, {
      until: (n) => n > 0,
      what: 'the first delivery to be mid-attempt (its create held by Pinterest for 1 s)',
    });
    await Promise.all([
      sqs.send(
        new SendMessageCommand({
          QueueUrl: pipeline.queueUrls.publish,
          MessageBody: body,
          MessageGroupId: `${pipeline.tenantId}#${accountId}`,
          MessageDeduplicationId: 'dup-a',
        }),
      ),
      sqs.send(
        new SendMessageCommand({
          QueueUrl: pipeline.queueUrls.publish,
          MessageBody: body,
          MessageGroupId: 'another-group',
          MessageDeduplicationId: 'dup-b',
        }),
      ),
    ]);
    await settle(created.id);
    await waitForPipelineIdle(pipeline); // both copies handled, nothing held back for later

    const job = (await api('GET', `/v1/jobs/${created.id}`)).body as Job;
    expect(job.status).toBe('succeeded');
    expect(job.attempt_count).toBe(1);
    expect(createsOf(user)).toHaveLength(1);
    expect(sandbox.pins({ boardId })).toHaveLength(1);
  });

  it('a scheduled job runs no earlier than publish_at; cancelled before then, it never runs', async () => {
    const { accountId, boardId } = await account();
    const at = new Date(Date.now() + 5_000);
    const later = await submit(accountId, boardId, 'scheduled-runs', { publish_at: at.toISOString() });
    const cancelledJob = await submit(accountId, boardId, 'scheduled-cancelled', { publish_at: at.toISOString(), title: 'never' });
    expect(later.status).toBe('scheduled');
    expect((await api('POST', `/v1/jobs/${cancelledJob.id}/cancel`)).status).toBe(200);
    const job = await settle(later.id, 30_000);
    expect(job.status).toBe('succeeded');
    expect(Date.parse(job.attempts[0]!.started_at)).toBeGreaterThanOrEqual(at.getTime());
    // The cancelled job's message left the delay queue with the other's: wait until it has been handled too.
    await waitForPipelineIdle(pipeline);
    expect((await api<Job>('GET', `/v1/jobs/${cancelledJob.id}`)).body.status).toBe('cancelled');
    expect(sandbox.pins({ boardId }).map((p) => p.title)).toEqual(['pin scheduled-runs']);
  });
});
