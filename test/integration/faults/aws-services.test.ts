import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../../lambdas/api/schemas.ts';
import { PUBLISH_QUEUE } from '../../../definitions/queues.ts';
import { dynamoClient, eventsClient, secretsClient, sqsClient } from '../../../lambdas/common/clients.ts';
import type { Pipeline } from '../../../local/pipeline.ts';
import { AWS_ERRORS } from '../../../local/sdk-faults.ts';
import { faultRig, useFaults, type Account } from '../fault-injection.ts';
import { drainQueue, testPipeline, waitFor } from '../harness.ts';

/**
 * AWS misbehaving under the pipeline, injected on the functions' own SDK clients (lambdas/common/clients.ts):
 * DynamoDB throttling, SQS refusing sends, Secrets Manager unavailable, EventBridge refusing some entries
 * of PutEvents. Each test names the promise it holds the pipeline to; after each, every job must be
 * terminal (succeeded here: nothing in these faults is the job's fault), with one pin per key, within
 * its account's limit, and every attempt explained. The sweeper runs every second with a 2 s grace and the
 * relay gives up after 2 retries, so the safety nets act within the test; the publish queue's visibility
 * (3 s) and the lease (2 s) are shortened for the same reason.
 */
let pipeline: Pipeline;
let rig: ReturnType<typeof faultRig>;
const faults = useFaults();

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.1, maxAttempts: 5 }, // every backoff rounds up to a second or a few
    pacing: { accountPerMinute: 600, appPerSecond: 100 },
    pinterestTimeoutMs: 1_500,
    queueVisibilityOverrides: { [PUBLISH_QUEUE.logicalName]: 3 },
    workerLeaseSeconds: 2,
    sweeper: { intervalMs: 1_000, graceSeconds: 2 },
    relayRetryAttempts: 2,
  });
  rig = faultRig(pipeline, { limit: 600 });
});

afterAll(async () => {
  await pipeline?.stop();
});

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
/** A window of `ms` from now: a fault that is active while it lasts. */
const forMs = (ms: number) => {
  const until = Date.now() + ms;
  return () => Date.now() < until;
};

async function accountsWithJobs(name: string, accounts: number, perAccount: number): Promise<{ users: Account[]; ids: string[] }> {
  const users: Account[] = [];
  const ids: string[] = [];
  for (let a = 0; a < accounts; a++) {
    const account = await rig.account(`${name}${a}`);
    users.push(account);
    ids.push(...(await rig.submit(account, keys(account.user, perAccount))));
  }
  return { users, ids };
}

describe('AWS faults', () => {
  it('DynamoDB throttling on many calls, retried by the SDK and seen by the functions: every job still succeeds once (invariant: nothing lost, no duplicate)', async () => {
    const users = [await rig.account('throttled'), await rig.account('throttled')];
    const inside = faults.inject(dynamoClient(), {
      effect: { kind: 'fail', error: AWS_ERRORS.throughputExceeded },
      probability: 0.4,
      seed: 7,
      times: 60,
    });
    const outside = faults.inject(dynamoClient(), {
      effect: { kind: 'fail', error: AWS_ERRORS.throttling },
      step: 'initialize',
      probability: 0.08,
      seed: 8,
      times: 8,
    });
    const ids = [...(await rig.submit(users[0]!, keys(users[0]!.user, 5))), ...(await rig.submit(users[1]!, keys(users[1]!.user, 5)))];

    const jobs = await rig.settle(ids, 60_000);
    console.info(`[faults] DynamoDB throttles: ${inside.hits()} retried by the SDK, ${outside.hits()} seen by the functions`);
    expect([inside.hits(), outside.hits()]).toEqual([60, 8]);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    await rig.expectPromise(ids, users);
  });

  it('SQS refusing every send for 3 s: the relay gives up, the sweeper dispatches once SQS is back (invariant: no job written and never enqueued)', async () => {
    const refused = faults.inject(sqsClient(), {
      commands: ['SendMessageCommand', 'SendMessageBatchCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.serviceUnavailable },
      active: forMs(3_000),
    });
    const { users, ids } = await accountsWithJobs('sqs-down', 2, 4);

    const jobs = await rig.settle(ids, 40_000);
    expect(refused.hits()).toBeGreaterThan(0);
    expect((await drainQueue(pipeline, pipeline.queueUrls.outboxDlq)).length).toBeGreaterThan(0); // the relay gave up on some
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    await rig.expectPromise(ids, users);
  });

  it('Secrets Manager answering 503s and timing out on GetSecretValue: the job retries and succeeds (invariant: a dependency outage never fails a job)', async () => {
    const account = await rig.account('secrets-down');
    const itsSecret = (input: Record<string, unknown>) => String(input.SecretId).endsWith(`/${account.accountId}`);
    const unavailable = faults.inject(secretsClient(), {
      commands: ['GetSecretValueCommand'],
      where: itsSecret,
      effect: { kind: 'fail', error: AWS_ERRORS.serviceUnavailable },
      times: 5,
    });
    const timingOut = faults.inject(secretsClient(), {
      commands: ['GetSecretValueCommand'],
      where: itsSecret,
      effect: { kind: 'fail', error: AWS_ERRORS.timeout },
      times: 4,
    });
    const ids = await rig.submit(account, keys(account.user, 1));

    const [job] = await rig.settle(ids, 60_000);
    expect([job!.status, job!.failure?.reason]).toEqual(['succeeded', undefined]);
    expect(unavailable.hits() + timingOut.hits()).toBe(9); // three attempts' worth, each tried 3 times by the SDK
    // Three attempts waited for the token store (as crashes they would have spent the run's budget of 3).
    expect(job!.attempts.map((a) => a.outcome)).toEqual(['retry_later', 'retry_later', 'retry_later', 'succeeded']);
    for (const attempt of job!.attempts.slice(0, 3)) expect(attempt.error_message).toMatch(/^Secrets Manager could not be read: /);
    await rig.expectPromise(ids, [account]);
  });

  it('a token refresh whose new pair cannot be stored (PutSecretValue failing): jobs keep publishing, and the vault gets the live pair once it is back (invariant: the token is never lost)', async () => {
    const account = await rig.account('rotation-unsaved');
    const first = await rig.submit(account, keys(account.user, 1));
    await rig.settle(first);
    rig.sandbox.expireAccessToken(account.accessToken);
    const unstored = faults.inject(secretsClient(), {
      commands: ['PutSecretValueCommand'],
      effect: { kind: 'fail', error: AWS_ERRORS.internalFailure },
      times: 9, // the provider's 3 tries, each retried 3 times by the SDK
    });

    const second = await rig.submit(account, [`${account.user}-after-expiry`]);
    await rig.settle(second);
    expect(unstored.hits()).toBe(9);
    const third = await rig.submit(account, [`${account.user}-stored`]);
    const jobs = await rig.settle([...first, ...second, ...third]);

    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const refreshes = rig.sandbox.requests().filter((r) => r.path === '/v5/oauth/token' && r.user === account.user);
    expect(refreshes.map((r) => r.status)).toEqual([200]); // refreshed once; the unsaved pair was used, not refreshed again
    // What the vault holds now is the pair Pinterest issued last: its refresh token still works.
    const stored = await waitFor(() => storedTokens(account), {
      until: (t) => t.refresh_token !== account.refreshToken,
      what: 'the rotated pair in the vault',
    });
    expect(await refreshAt(stored.refresh_token)).toBe(200);
    await rig.expectPromise([...first, ...second, ...third], [account]);
  });

  it('EventBridge refusing half of the PutEvents entries for 3 s: every status change still reaches the bus (invariant: no event lost)', async () => {
    let entries = 0;
    const refusing = faults.refusePutEvents(eventsClient(), { refuse: () => entries++ % 2 === 0, active: forMs(3_000) });
    const { users, ids } = await accountsWithJobs('bus-refuses', 2, 3);

    const jobs = await rig.settle(ids, 40_000);
    expect(refusing.refused()).toBeGreaterThan(0);
    const onBus = await waitFor(() => busEventsOf(jobs), {
      until: (byJob) => jobs.every((job) => byJob.get(job.id)?.length === job.status_history.length),
      what: 'an event on the bus for every status change',
      timeoutMs: 20_000,
      show: (byJob) => JSON.stringify([...byJob.entries()].map(([id, types]) => [id, types.length])),
    });
    // Order holds while the relay retries a change; one it gave up on is published by the sweep, later than
    // newer ones (receivers keep the newest by data.job.updated_at). The set is what must be complete.
    for (const job of jobs) expect(onBus.get(job.id)?.sort()).toEqual(job.status_history.map((h) => `job.${h.status}`).sort());
    await rig.expectPromise(ids, users);
  });
});

/** Each job's distinct events on the bus, by type, in the order they first arrived. */
function busEventsOf(jobs: readonly Job[]): Map<string, string[]> {
  const seen = new Set<string>();
  const byJob = new Map<string, string[]>(jobs.map((job) => [job.id, []]));
  for (const { event } of pipeline.events.events()) {
    const detail = event.detail as { id?: string; type?: string; data?: { job?: { id?: string } } };
    const list = byJob.get(detail.data?.job?.id ?? '');
    if (!list || !detail.id || seen.has(detail.id)) continue;
    seen.add(detail.id);
    list.push(String(detail.type));
  }
  return byJob;
}

async function storedTokens(account: Account): Promise<{ refresh_token: string }> {
  const secret = pipeline.secrets.secrets().find((s) => s.name.endsWith(`/${pipeline.tenantId}/${account.accountId}`));
  const current = secret?.versions.find((v) => v.stages.includes('AWSCURRENT'));
  return JSON.parse(current?.secretString ?? '{}') as { refresh_token: string };
}

/** Refreshes at the sandbox with `refreshToken`: 200 while it is the live one. */
async function refreshAt(refreshToken: string): Promise<number> {
  const response = await fetch(`${pipeline.pinterestBaseUrl}/v5/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from('pinrelay-sandbox-client:pinrelay-sandbox-secret').toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  await response.text();
  return response.status;
}
