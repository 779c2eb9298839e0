import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRate, Job } from '../../lambdas/api/schemas.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import type { PinterestSandbox, SandboxRequestLog } from '../../local/pinterest-sandbox.ts';
import { callerFor, testPipeline, waitFor, waitForJob, type Caller } from './harness.ts';

/**
 * Pacing through the whole local pipeline (lambdas/domain/pacing.ts), with short limits so it runs in
 * seconds: a 429 with Retry-After holds the whole account; a 429 on a board listing holds reads only and
 * never slows the account's creates; one hot account does not delay another account's first attempt.
 * Each test has its own sandbox user and account.
 */
let pipeline: Pipeline;
let sandbox: PinterestSandbox;
let api: Caller;
let accounts = 0;

beforeAll(async () => {
  pipeline = await testPipeline({
    retry: { baseSeconds: 0.5, maxAttempts: 5 },
    pacing: { accountPerMinute: 120, appPerSecond: 100 },
    pinterestTimeoutMs: 1_500,
  });
  sandbox = pipeline.sandbox!;
  api = callerFor(pipeline, pipeline.apiKey);
});

afterAll(async () => {
  await pipeline?.stop();
});

async function account(rate: number): Promise<{ accountId: string; boardId: string; user: string }> {
  accounts++;
  const user = `pacer${accounts}`;
  const boardId = `${700000 + accounts}`;
  const tokens = sandbox.addUser({ username: user, boards: [boardId] });
  const accountId = `paced-${accounts}`;
  const put = await api('PUT', `/v1/accounts/${accountId}`, {
    body: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, rate_limit_per_minute: rate },
  });
  expect(put.status).toBe(200);
  return { accountId, boardId, user };
}

async function submit(accountId: string, boardId: string, keys: string[]): Promise<Job[]> {
  return Promise.all(
    keys.map(async (key) => {
      const created = await api('POST', '/v1/pins', {
        body: {
          account_id: accountId,
          board_id: boardId,
          title: key,
          link: `https://shop.example.com/${key}`,
          media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` },
        },
        headers: { 'Idempotency-Key': key },
      });
      expect(created.status).toBe(202);
      return created.body as Job;
    }),
  );
}

const creates = (user: string): SandboxRequestLog[] =>
  sandbox.requests().filter((r) => r.user === user && r.method === 'POST' && r.path === '/v5/pins');

describe('a 429 with Retry-After holds the whole account', () => {
  it('no create for the account until it passes (not only the job that got it), then the backlog resumes at rate', async () => {
    const { accountId, boardId, user } = await account(120);
    sandbox.inject({ kind: 'rate_limit', retryAfterSeconds: 4 }, { nth: 3, match: { user } });

    const jobs = await submit(
      accountId,
      boardId,
      Array.from({ length: 10 }, (_, i) => `held-${i}`),
    );
    const done = await Promise.all(jobs.map((j) => waitForJob(api, j.id, 60_000)));

    expect(done.every((j) => j.status === 'succeeded')).toBe(true);
    const sent = creates(user);
    const refused = sent.find((r) => r.status === 429)!;
    expect(refused.fault).toBe('rate_limit');
    const during = sent.filter((r) => r.at > refused.at && r.at < refused.at + 4_000);
    expect(during).toEqual([]); // before: 19 more creates arrived inside such a hold
    const after = sent.filter((r) => r.at >= refused.at + 4_000);
    expect(after).toHaveLength(sent.length - 3);
    // At rate again: 8 creates at 120/min (one per ~0.5 s) take well under the 20 s the old per-job backoff allowed.
    expect(after.at(-1)!.at - after[0]!.at).toBeLessThan(8_000);
  }, 90_000);
});

describe('reads and writes have separate budgets', () => {
  it('a 429 on the verification listing holds reads only: the account keeps creating at its rate', async () => {
    const { accountId, boardId, user } = await account(120);
    // The first create happens but its answer is lost (unknown): the retry must list the board first.
    sandbox.inject({ kind: 'drop_after_create' }, { match: { user } });
    const [lost] = await submit(accountId, boardId, ['verify-me']);
    await waitFor(async () => ((await api('GET', `/v1/jobs/${lost!.id}`)).body as Job).status, {
      until: (status) => status === 'retry_scheduled',
      what: 'the unknown outcome',
      timeoutMs: 20_000,
    });

    // Its verification listing is refused (429 code 8, no Retry-After); meanwhile other jobs of the account go on creating.
    sandbox.inject({ kind: 'rate_limit' }, { match: { user, path: '/v5/boards/.*/pins' } });
    const listed429 = await waitFor(async () => sandbox.requests().find((r) => r.user === user && r.method === 'GET' && r.status === 429), {
      what: 'the listing 429',
      timeoutMs: 30_000,
    });
    const others = await submit(
      accountId,
      boardId,
      Array.from({ length: 10 }, (_, i) => `meanwhile-${i}`),
    );
    const rate = await api<AccountRate>('GET', `/v1/accounts/${accountId}/rate`);
    const othersDone = await Promise.all(others.map((j) => waitForJob(api, j.id, 30_000)));

    expect(othersDone.every((j) => j.status === 'succeeded' && j.attempt_count === 1)).toBe(true);
    const meanwhile = creates(user).filter((r) => r.at > listed429.at);
    expect(meanwhile.length).toBeGreaterThanOrEqual(10);
    // 10 creates at 120/min: a burst of 4, then one per ~0.52 s, about 4 s; halved by the read's 429, about 8.
    expect(meanwhile.at(-1)!.at - meanwhile[0]!.at).toBeLessThan(6_000);
    expect(rate.body).toMatchObject({ limit: 120, effective_limit: 120, penalized: false, held_until: null });
    expect(rate.body.read.held_until).not.toBeNull();

    // The lost create is found on the board once reads resume: one pin, no duplicate.
    const verified = await waitForJob(api, lost!.id, 40_000);
    expect(verified).toMatchObject({ status: 'succeeded', result: { verified: true } });
    expect(sandbox.pins({ boardId }).filter((p) => p.title === 'verify-me')).toHaveLength(1);
  }, 90_000);
});

describe('fairness', () => {
  it('a hot account’s backlog does not delay another account’s first attempt by more than a few seconds', async () => {
    const hot = await account(60);
    await submit(
      hot.accountId,
      hot.boardId,
      Array.from({ length: 40 }, (_, i) => `hot-${i}`),
    );
    await waitFor(() => creates(hot.user).length, {
      until: (n) => n >= 3,
      what: 'the hot backlog to start (3 creates)',
      timeoutMs: 20_000,
    });

    const cold = await Promise.all([account(60), account(60), account(60)]);
    const submittedAt = Date.now();
    const coldJobs = await Promise.all(cold.map(async (c) => (await submit(c.accountId, c.boardId, [`cold-${c.user}`]))[0]!));
    await Promise.all(coldJobs.map((j) => waitForJob(api, j.id, 20_000)));

    for (const c of cold) {
      const first = creates(c.user)[0]!;
      expect(first.at - submittedAt).toBeLessThan(5_000);
    }
    expect(creates(hot.user).filter((r) => r.status === 201).length).toBeLessThan(40); // the hot backlog was still there
  }, 60_000);
});
