import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lambdas/api/schemas.ts';
import { SANDBOX_DEMO_USER, type Pipeline } from '../../local/pipeline.ts';
import type { PinterestSandbox } from '../../local/pinterest-sandbox.ts';
import { callerFor, testPipeline, type Caller } from './harness.ts';

/**
 * Execution against the Pinterest sandbox over real HTTP (DESIGN §4, issue "Execution"): each test uses
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

async function settle(jobId: string, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await api('GET', `/v1/jobs/${jobId}`)).body as Job;
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.status}: ${JSON.stringify(job.attempts)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
});
