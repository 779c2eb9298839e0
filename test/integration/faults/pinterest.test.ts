import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../local/pipeline.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../local/webhook-receiver.ts';
import { faultRig, type Account } from '../fault-injection.ts';
import { testPipeline, waitFor } from '../harness.ts';

/**
 * Pinterest and the webhook receiver misbehaving, injected through the sandbox (docs/sandbox.md) and a
 * local receiver: an access token that expires in the middle of a backlog, a storm of 5xx, a storm of 429s
 * without Retry-After, and a receiver that is down while jobs finish. Accounts are limited to 120 creates
 * a minute, at pinrelay and at the sandbox alike. After each: every job succeeded once, never over an
 * account's limit in any of the sandbox's windows (and its limiter never had to refuse), every attempt
 * explained; for the receiver, every terminal event delivered once it is back, repeats only under the
 * same webhook-id.
 */
const LIMIT = 120;
let pipeline: Pipeline;
let rig: ReturnType<typeof faultRig>;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: LIMIT, appPerSecond: 100 },
    pinterestTimeoutMs: 1_500,
    // The stand-in's retries compressed: from 200 ms, doubling, at most a second apart (EventBridge's own wait minutes).
    webhookRetry: { firstDelayMs: 200, maxDelayMs: 1_000, multiplier: 2, jitter: 0.5 },
  });
  rig = faultRig(pipeline, { limit: LIMIT });
});

afterAll(async () => {
  await Promise.allSettled(receivers.map((r) => r.stop()));
  await pipeline?.stop();
});

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function backlog(name: string, accounts: number, perAccount: number): Promise<{ users: Account[]; ids: string[] }> {
  const users: Account[] = [];
  for (let a = 0; a < accounts; a++) users.push(await rig.account(name));
  const ids = (await Promise.all(users.map((u) => rig.submit(u, keys(u.user, perAccount))))).flat();
  return { users, ids };
}

/** Requests of these users that the sandbox answered with `status` (injected faults included). */
const answered = (users: readonly Account[], status: number) =>
  rig.sandbox.requests().filter((r) => r.status === status && users.some((u) => u.user === r.user)).length;

describe('Pinterest faults', () => {
  it('the access token expires mid-backlog: one 401, one refresh, every job succeeds (invariant: refresh once, the live pair stored)', async () => {
    const { users, ids } = await backlog('expiring', 1, 12);
    const [account] = users;
    await waitFor(() => rig.sandbox.pins({ user: account!.user }).length >= 4, { what: 'the backlog to be under way' });
    rig.sandbox.expireAccessToken(account!.accessToken);

    const jobs = await rig.settle(ids);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    const refreshes = rig.sandbox.requests().filter((r) => r.path === '/v5/oauth/token' && r.user === account!.user);
    expect(refreshes.map((r) => r.status)).toEqual([200]);
    expect(answered(users, 401)).toBe(1);
    const secret = pipeline.secrets.secrets().find((s) => s.name.endsWith(`/${account!.accountId}`));
    const stored = JSON.parse(secret?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.secretString ?? '{}');
    expect(stored.refresh_token).not.toBe(account!.refreshToken); // the rotated pair replaced the retired one
    await rig.expectPromise(ids, users);
  });

  it('a storm of 5xx on every create for 2 s, then recovery: every job retries and succeeds (invariant: no job lost, none duplicated)', async () => {
    const { users, ids } = await backlog('storm-5xx', 2, 6);
    for (const [i, u] of users.entries())
      rig.sandbox.injectRate({ kind: 'status', status: 503 }, 1, { seed: i + 1, match: { user: u.user } });
    setTimeout(() => rig.sandbox.clearFaults(), 2_000);

    const jobs = await rig.settle(ids, 60_000);
    expect(answered(users, 503)).toBeGreaterThanOrEqual(ids.length / 2);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    for (const job of jobs) for (const a of job.attempts.slice(0, -1)) expect([a.outcome, a.http_status]).toEqual(['retry_now', 503]);
    await rig.expectPromise(ids, users);
  });

  it('a storm of 429s without Retry-After for 2 s: jobs wait and succeed, never over the limit (invariant: the sandbox never had to refuse)', async () => {
    const { users, ids } = await backlog('storm-429', 2, 6);
    for (const [i, u] of users.entries()) rig.sandbox.injectRate({ kind: 'rate_limit' }, 1, { seed: i + 11, match: { user: u.user } });
    setTimeout(() => rig.sandbox.clearFaults(), 2_000);

    const jobs = await rig.settle(ids, 60_000);
    expect(answered(users, 429)).toBeGreaterThanOrEqual(2);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    for (const job of jobs) for (const a of job.attempts.slice(0, -1)) expect([a.outcome, a.http_status]).toEqual(['retry_later', 429]);
    const report = await rig.expectPromise(ids, users); // no window over the limit, no limiter refusal
    for (const u of users) expect(report.peaks[u.user]!.peak).toBeLessThanOrEqual(LIMIT);
  });
});

describe('webhook receiver faults', () => {
  it('the receiver is down while every job finishes and for a while after: each terminal event arrives once it is back, repeats only under the same webhook-id', async () => {
    let down = true;
    const receiver = await startWebhookReceiver({ log: () => undefined, respond: () => (down ? { status: 503 } : undefined) });
    receivers.push(receiver);
    const subscribed = await rig.api('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['job.succeeded', 'job.failed', 'job.cancelled'], description: 'fault suite' },
    });
    expect(subscribed.status).toBe(201);
    const { users, ids } = await backlog('hook-down', 1, 6);

    await rig.settle(ids);
    // Down until every terminal event has been refused at least twice: retried, not dropped.
    await waitFor(() => receiver.deliveries().filter((d) => d.status === 503).length >= 2 * ids.length, {
      what: 'every terminal event refused twice',
    });
    down = false;

    const accepted = () => receiver.deliveries().filter((d) => d.status === 204);
    await waitFor(() => new Set(accepted().map((d) => d.webhookId)).size >= ids.length, { what: 'every terminal event delivered' });
    const report = await rig.expectPromise(ids, users, {
      deliveries: accepted().map((d) => ({ webhookId: d.webhookId, body: d.body })),
    });
    expect(report.webhookEventsMissing).toEqual([]);
    expect(report.webhookIdConflicts).toEqual([]);
  });
});
