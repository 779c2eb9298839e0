import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Account, Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import type { PinterestSandbox } from '../../local/pinterest-sandbox.ts';
import { callerFor, testPipeline, waitForJob, type Caller } from './harness.ts';

const settle = (jobId: string) => waitForJob(api, jobId);

/**
 * Token life cycle (refresh ahead of expiry, once on a 401, dead refresh token), requeue with corrected
 * fields, the rate endpoint — and no token ever in logs, job records or tables.
 */
let pipeline: Pipeline;
let sandbox: PinterestSandbox;
let api: Caller;
let logged = '';
const writes: Array<ReturnType<typeof vi.spyOn>> = [];

beforeAll(async () => {
  // Capture everything the handlers log (DEBUG) to prove tokens never reach it.
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    writes.push(
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
        logged += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write),
    );
  }
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 3 },
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    logLevel: 'DEBUG',
  });
  sandbox = pipeline.sandbox!;
  api = callerFor(pipeline, pipeline.apiKey);
});

afterAll(async () => {
  await pipeline?.stop();
  for (const spy of writes) spy.mockRestore();
});

const issued: string[] = [];

async function connect(user: string, board: string, extra: Record<string, unknown> = {}, userOptions: Record<string, unknown> = {}) {
  const tokens = sandbox.addUser({ username: user, boards: [board], ...userOptions });
  issued.push(tokens.accessToken, tokens.refreshToken);
  const put = await api('PUT', `/v1/accounts/${user}`, {
    body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, ...extra },
  });
  expect(put.status).toBe(200);
  return tokens;
}

async function publish(account: string, board: string, key: string): Promise<Job> {
  const created = await api('POST', '/v1/pins', {
    body: {
      account_id: account,
      board_id: board,
      title: key,
      link: `https://e.com/${key}`,
      media_source: { source_type: 'image_url', url: `https://e.com/${key}.jpg` },
    },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status).toBe(202);
  return created.body as Job;
}

function storedTokens(account: string) {
  const secret = pipeline.secrets.secrets().find((s) => s.name.endsWith(`/${pipeline.tenantId}/${account}`))!;
  return JSON.parse(secret.versions.find((v) => v.stages.includes('AWSCURRENT'))!.secretString!) as {
    access_token: string;
    refresh_token: string;
  };
}

describe('account tokens', () => {
  it('refreshes ahead of expiry and stores the new refresh token (continuous refresh)', async () => {
    const old = await connect('soon', '301', { expires_at: new Date(Date.now() + 60_000).toISOString() });
    const job = await settle((await publish('soon', '301', 'refresh-ahead')).id);
    expect(job.status).toBe('succeeded');
    const now = storedTokens('soon');
    issued.push(now.access_token, now.refresh_token);
    expect(now.access_token).not.toBe(old.accessToken);
    expect(now.refresh_token).not.toBe(old.refreshToken);
    expect(sandbox.requests().filter((r) => r.path === '/v5/oauth/token')).not.toHaveLength(0);
  });

  it('refreshes once on a 401 and retries within the same attempt', async () => {
    const old = await connect('revoked-access', '302');
    sandbox.expireAccessToken(old.accessToken);
    const job = await settle((await publish('revoked-access', '302', 'refresh-on-401')).id);
    expect(job.status).toBe('succeeded');
    expect(job.attempt_count).toBe(1);
    const now = storedTokens('revoked-access');
    issued.push(now.access_token, now.refresh_token);
    expect(now.refresh_token).not.toBe(old.refreshToken);
  });

  it('a dead refresh token fails the job for ops ("reconnect") and marks the account', async () => {
    const old = await connect('dead', '303');
    sandbox.expireAccessToken(old.accessToken);
    sandbox.revokeRefreshToken(old.refreshToken);
    const job = await settle((await publish('dead', '303', 'dead-refresh')).id);
    expect(job.status).toBe('failed');
    expect(job.failure).toMatchObject({ route: 'ops', reason: 'reauthorization_required' });
    expect(job.failure!.remediation).toMatch(/reconnect|PUT \/v1\/accounts/i);
    expect((await api<Account>('GET', '/v1/accounts/dead')).body.connection_status).toBe('reauthorization_required');
  });

  it('a reconnect is used by the very next job, even by a worker that cached the dead tokens', async () => {
    // A job succeeds: this worker container now caches the account's tokens (for 60 s).
    const old = await connect('reconnected', '306');
    expect((await settle((await publish('reconnected', '306', 'before-reconnect')).id)).status).toBe('succeeded');

    // Both tokens die at Pinterest, and ops reconnect the account with a fresh pair while the cache still holds the dead one.
    sandbox.expireAccessToken(old.accessToken);
    sandbox.revokeRefreshToken(old.refreshToken);
    const fresh = sandbox.addUser({ username: 'reconnected' });
    issued.push(fresh.accessToken, fresh.refreshToken);
    const seen = sandbox.requests().length;
    const put = await api('PUT', '/v1/accounts/reconnected', {
      body: { access_token: fresh.accessToken, refresh_token: fresh.refreshToken },
    });
    expect(put.status).toBe(200);
    expect(put.body).not.toHaveProperty('connection_id');

    const job = await settle((await publish('reconnected', '306', 'after-reconnect')).id);

    // The new tokens were used at once: one create, accepted, no 401 and no refresh with the dead refresh token.
    expect(job.status).toBe('succeeded');
    expect(job.attempt_count).toBe(1);
    const after = sandbox.requests().slice(seen);
    expect(after.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v5/pins 201']);
    expect(storedTokens('reconnected')).toMatchObject({ access_token: fresh.accessToken, refresh_token: fresh.refreshToken });
    expect((await api<Account>('GET', '/v1/accounts/reconnected')).body.connection_status).toBe('connected');
  });
});

describe('requeue', () => {
  it('re-runs a failed job with a corrected board under the same key; attempts continue', async () => {
    await connect('fixer', '304');
    const created = await api<Job>('POST', '/v1/pins', {
      body: {
        account_id: 'fixer',
        board_id: '999',
        title: 'wrong board',
        media_source: { source_type: 'image_url', url: 'https://e.com/w.jpg' },
      },
      headers: { 'Idempotency-Key': 'requeue-1' },
    });
    const failed = await settle(created.body.id);
    expect(failed.failure).toMatchObject({ route: 'ops', reason: 'board_not_found' });

    expect((await api('POST', `/v1/jobs/${failed.id}/requeue`, { body: { pin: { board_id: 'x' } } })).status).toBe(400);
    const requeued = await api('POST', `/v1/jobs/${failed.id}/requeue`, { body: { pin: { board_id: '304' } } });
    expect(requeued.status).toBe(202);
    expect(requeued.body).toMatchObject({ status: 'queued', failure: null, pin: { board_id: '304' } });
    const job = await settle(failed.id);
    expect(job.status).toBe('succeeded');
    expect(job.attempts.map((a) => a.number)).toEqual([1, 2]);
    expect(sandbox.pins({ boardId: '304' })).toHaveLength(1);
    expect((await api('POST', `/v1/jobs/${failed.id}/requeue`)).status).toBe(409); // succeeded: nothing to re-run
    // The original request still replays as this job.
    const replay = await api<Job>('POST', '/v1/pins', {
      body: {
        account_id: 'fixer',
        board_id: '999',
        title: 'wrong board',
        media_source: { source_type: 'image_url', url: 'https://e.com/w.jpg' },
      },
      headers: { 'Idempotency-Key': 'requeue-1' },
    });
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(failed.id);
  });
});

describe('GET /v1/accounts/{id}/rate', () => {
  it('shows the bucket of the account', async () => {
    await connect('rated', '305', { rate_limit_per_minute: 30 });
    const rate = await api('GET', '/v1/accounts/rated/rate');
    expect(rate.status).toBe(200);
    expect(rate.body).toMatchObject({ limit: 30, window_seconds: 60, capacity: 1, refill_per_second: 29 / 60, penalized: false });
    expect((await api('GET', '/v1/accounts/nobody/rate')).status).toBe(404);
  });
});

describe('secrecy', () => {
  it('no token appears in any log line, job record or table item', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(8);
    expect(logged.length).toBeGreaterThan(1000); // DEBUG logs were captured
    const dynamo = new DynamoDBClient({
      endpoint: pipeline.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const tables = JSON.stringify([
      (await dynamo.send(new ScanCommand({ TableName: pipeline.tableNames.jobs }))).Items,
      (await dynamo.send(new ScanCommand({ TableName: pipeline.tableNames.tenants }))).Items,
    ]);
    const jobs = JSON.stringify((await api('GET', '/v1/jobs?limit=100')).body);
    for (const token of issued) {
      expect(logged.includes(token), 'token in logs').toBe(false);
      expect(tables.includes(token), 'token in tables').toBe(false);
      expect(jobs.includes(token), 'token in jobs').toBe(false);
    }
    expect(JSON.stringify(pipeline.events.events()).includes(issued[0]!)).toBe(false);
  });
});
