/**
 * GET /v1/stats over real HTTP against a test pipeline: its counts match the jobs the test created (by
 * status, the last hour's finished jobs, per-account backlog and rate), another tenant's jobs are not in
 * them; and local mode's live summary (local/live-summary.ts, sampling the same pipeline) prints while jobs
 * move and is quiet once they stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRate, Job, JobList, Stats } from '../../lambdas/api/schemas.ts';
import { pipelineSampler, startLiveSummary } from '../../local/live-summary.ts';
import type { Pipeline } from '../../local/pipeline.ts';
import { callerFor, testPipeline, waitFor, waitForJob, type Caller, type ErrorBody } from './harness.ts';

let pipeline: Pipeline;
let api: Caller;
let other: Caller;
const lines: string[] = [];
let live: { stop(): Promise<void> } | undefined;
let sampler: ReturnType<typeof pipelineSampler> | undefined;
/** Samples the live summary has started: one at a time, so the one before the last has printed (or not). */
let samplesStarted = 0;

beforeAll(async () => {
  pipeline = await testPipeline({ pacing: { accountPerMinute: 30, appPerSecond: 100 } });
  sampler = pipelineSampler(pipeline);
  live = startLiveSummary({
    sample: () => {
      samplesStarted++;
      return sampler!.sample();
    },
    print: (line) => lines.push(line),
    intervalMs: 250,
  });
  const tenant = await pipeline.createTenant('stats');
  api = callerFor(pipeline, tenant.apiKey);
  other = callerFor(pipeline, (await pipeline.createTenant('stats-other')).apiKey);
  const main = pipeline.sandbox!.addUser({ username: 'stats-main', boards: ['770001'] });
  const second = pipeline.sandbox!.addUser({ username: 'stats-second', boards: ['770002'] });
  const third = pipeline.sandbox!.addUser({ username: 'stats-other', boards: ['770003'] });
  expect(
    (
      await api('PUT', '/v1/accounts/main', {
        body: { access_token: main.accessToken, refresh_token: main.refreshToken, rate_limit_per_minute: 60 },
      })
    ).status,
  ).toBe(200);
  expect(
    (await api('PUT', '/v1/accounts/second', { body: { access_token: second.accessToken, refresh_token: second.refreshToken } })).status,
  ).toBe(200);
  expect(
    (await other('PUT', '/v1/accounts/theirs', { body: { access_token: third.accessToken, refresh_token: third.refreshToken } })).status,
  ).toBe(200);
});

afterAll(async () => {
  await live?.stop();
  sampler?.close();
  await pipeline?.stop();
});

async function post(caller: Caller, key: string, body: Record<string, unknown>): Promise<Job> {
  const created = await caller('POST', '/v1/pins', {
    body: { title: key, media_source: { source_type: 'image_url', url: `https://cdn.example.com/${key}.jpg` }, ...body },
    headers: { 'Idempotency-Key': key },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  return created.body as Job;
}

describe('GET /v1/stats', () => {
  it("counts the tenant's jobs by status, the last hour's finished ones, and per account the backlog and rate", async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const created = [
      await post(api, 'ok-1', { account_id: 'main', board_id: '770001' }),
      await post(api, 'ok-2', { account_id: 'main', board_id: '770001' }),
      await post(api, 'ok-3', { account_id: 'second', board_id: '770002' }),
      await post(api, 'bad-board', { account_id: 'main', board_id: '55555' }),
      await post(api, 'later', { account_id: 'second', board_id: '770002', publish_at: inAnHour }),
      await post(api, 'never', { account_id: 'second', board_id: '770002', publish_at: inAnHour }),
    ];
    expect((await api('POST', `/v1/jobs/${created[5]!.id}/cancel`)).status).toBe(200);
    await post(other, 'theirs-1', { account_id: 'theirs', board_id: '770003' });
    for (const job of created.slice(0, 4)) await waitForJob(api, job.id);

    const response = await api('GET', '/v1/stats');
    expect(response.status).toBe(200);
    const stats = response.body as Stats;

    // The same figures from the jobs themselves.
    const listed = (await api<JobList>('GET', '/v1/jobs?limit=100')).body.items;
    const byStatus = (status: string) => listed.filter((j) => j.status === status).length;
    expect(stats.counts).toEqual({
      scheduled: byStatus('scheduled'),
      queued: byStatus('queued'),
      running: byStatus('running'),
      retry_scheduled: byStatus('retry_scheduled'),
      succeeded: byStatus('succeeded'),
      failed: byStatus('failed'),
      cancelled: byStatus('cancelled'),
    });
    expect(stats.counts).toEqual({ scheduled: 1, queued: 0, running: 0, retry_scheduled: 0, succeeded: 3, failed: 1, cancelled: 1 });
    expect(stats).toMatchObject({
      total: 6,
      partial_counts: [],
      last_hour: { succeeded: 3, failed: 1, per_minute: 0.07 },
      accounts_truncated: false,
    });
    expect(stats.accounts.map((a) => [a.account_id, a.connection_status, a.backlog])).toEqual([
      ['main', 'connected', { scheduled: 0, queued: 0, running: 0, retry_scheduled: 0, total: 0 }],
      ['second', 'connected', { scheduled: 1, queued: 0, running: 0, retry_scheduled: 0, total: 1 }],
    ]);
    // The rate is the account's meter, at its own limit or the deployment's default.
    expect(stats.accounts[0]!.rate).toMatchObject({ limit: 60, window_seconds: 60 });
    expect(stats.accounts[1]!.rate).toMatchObject({ limit: 30 });
    const rate = (await api<AccountRate>('GET', '/v1/accounts/main/rate')).body;
    expect(Object.keys(stats.accounts[0]!.rate).sort()).toEqual(Object.keys(rate).sort());

    // The other tenant sees only its own job.
    const theirs = (await other('GET', '/v1/stats')).body as Stats;
    await waitFor(async () => ((await other('GET', '/v1/stats')).body as Stats).counts, {
      until: (counts) => counts.succeeded === 1,
      what: "the other tenant's job to succeed",
    });
    expect(theirs.total).toBe(1);
    expect(theirs.accounts.map((a) => a.account_id)).toEqual(['theirs']);

    // No parameters: an unknown one is a 400 in the error envelope.
    const bad = await api<ErrorBody>('GET', '/v1/stats?status=queued');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_error');
    expect((await fetch(`${pipeline.apiUrl}/v1/stats`)).status).toBe(401);
  }, 60_000);

  it('the live summary printed while the jobs moved, and is quiet now that they stopped', async () => {
    // Every tenant of the pipeline: 4 succeeded (3 + the other tenant's), 1 failed, 1 scheduled, 1 cancelled.
    const final = '0 queued · 0 running · 0 retrying · 4 succeeded · 1 failed';
    await waitFor(() => lines.at(-1), {
      until: () => lines.some((l) => l.includes(final)),
      what: `a summary line with ${final}`,
      timeoutMs: 10_000,
    });
    console.log(`[stats] live summary lines:\n${lines.join('\n')}`);
    expect(
      lines.every((l) =>
        /^\[\d\d:\d\d:\d\dZ\] jobs: \d+ queued · \d+ running · \d+ retrying · \d+ succeeded · \d+ failed · \d+\/min( · \d+ scheduled)?( · \d+ cancelled)?$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(2); // it printed while jobs moved, not only at the end
    expect(lines.at(-1)).toMatch(/4 succeeded · 1 failed · [1-9]\d*\/min · 1 scheduled · 1 cancelled$/);
    const printed = lines.length;
    const from = samplesStarted;
    await waitFor(() => samplesStarted, { until: (n) => n >= from + 7, what: 'six more samples taken and judged', timeoutMs: 10_000 });
    expect(lines).toHaveLength(printed); // nothing changed, nothing printed
  }, 30_000);
});
